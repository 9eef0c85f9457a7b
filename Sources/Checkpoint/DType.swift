/// Element types a checkpoint tensor can hold. Raw values are the safetensors names.
public enum DType: String, Sendable, CaseIterable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case float64 = "F64"
    case uint8 = "U8"
    case bool = "BOOL"
    case int32 = "I32"
    case int64 = "I64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .uint8, .bool: return 1
        case .float16, .bfloat16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        }
    }

    /// True for the floating-point types (read with `TensorData.floats()`).
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        case .uint8, .bool, .int32, .int64: return false
        }
    }

    /// The legacy typed-storage class PyTorch names in a checkpoint's persistent ids (`torch.FloatStorage`, …).
    var torchStorageName: String {
        switch self {
        case .float32: return "FloatStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .float64: return "DoubleStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        case .int32: return "IntStorage"
        case .int64: return "LongStorage"
        }
    }

    /// The dtype of a `torch.<name>` storage class, or nil for storage types this library does not read.
    init?(torchStorageName name: String) {
        guard let match = DType.allCases.first(where: { $0.torchStorageName == name }) else { return nil }
        self = match
    }
}
