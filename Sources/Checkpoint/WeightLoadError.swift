/// Errors raised while reading, writing or mapping checkpoint files.
///
/// Every case names the file (and, where it helps, the tensor, archive entry or byte offset) and its
/// `description` says what to do next.
public enum WeightLoadError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read at all (missing, permissions, I/O error).
    case unreadable(path: String, reason: String)
    /// The file ends before a structure it declares (a cut download or an interrupted copy).
    case truncated(path: String, detail: String)
    /// The content is neither a PyTorch zip checkpoint nor a safetensors file.
    case unrecognizedFormat(path: String, detail: String)
    /// A pre-1.6 PyTorch file (a bare pickle stream rather than a zip archive).
    case legacyTorchFormat(path: String)
    /// The safetensors header is malformed: bad length, bad JSON, unknown dtype, offsets that disagree.
    case invalidSafeTensorsHeader(path: String, detail: String)
    /// The zip container of a `.pth` file is malformed or lacks a required entry.
    case invalidArchive(path: String, detail: String)
    /// A zip entry is compressed; only stored (uncompressed) entries are supported.
    case unsupportedCompression(path: String, entry: String, method: Int)
    /// A zip entry's bytes do not match the CRC-32 recorded in the archive.
    case checksumMismatch(path: String, entry: String)
    /// The pickle stream is malformed at `offset` (stack underflow, bad memo index, wrong argument types).
    case invalidPickle(path: String, offset: Int, detail: String)
    /// The pickle stream uses an opcode outside the supported subset.
    case unknownOpcode(path: String, opcode: UInt8, offset: Int)
    /// A tensor uses an element type this library cannot represent.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor's shape, strides or offset do not fit its storage, or its bytes disagree with its shape.
    case invalidTensor(path: String, tensor: String, detail: String)
    /// No state dict could be found in the loaded object.
    case missingStateDict(path: String, detail: String)
    /// A tensor looked up by name is not in the state dict.
    case missingTensor(name: String, available: Int)
    /// Writing a checkpoint failed; the destination was left as it was.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read '\(path)': \(reason). Check that the path exists and is readable."
        case let .truncated(path, detail):
            return "'\(path)' is truncated (\(detail)). Download or copy the file again."
        case let .unrecognizedFormat(path, detail):
            return "'\(path)' is not a PyTorch zip checkpoint or a safetensors file (\(detail)). "
                + "Pass a .pth written by torch>=1.6 or a .safetensors file."
        case let .legacyTorchFormat(path):
            return "'\(path)' uses the legacy (non-zip) PyTorch format, which is not supported. "
                + "Re-save it with torch>=1.6: torch.save(torch.load(p, map_location='cpu'), new_path)."
        case let .invalidSafeTensorsHeader(path, detail):
            return "'\(path)' has an invalid safetensors header: \(detail). Re-export the file with the safetensors library."
        case let .invalidArchive(path, detail):
            return "'\(path)' is not a valid PyTorch zip archive: \(detail). Re-save it with torch.save."
        case let .unsupportedCompression(path, entry, method):
            return "'\(path)': entry '\(entry)' is compressed (zip method \(method)); only stored entries are supported. "
                + "Re-save it with torch.save, which never compresses."
        case let .checksumMismatch(path, entry):
            return "'\(path)': entry '\(entry)' fails its CRC-32 check, so the file is corrupt. Download or copy it again."
        case let .invalidPickle(path, offset, detail):
            return "'\(path)': malformed pickle at byte \(offset) of data.pkl: \(detail). The file is corrupt or was not written by torch.save."
        case let .unknownOpcode(path, opcode, offset):
            let hex = String(opcode, radix: 16, uppercase: true)
            return "'\(path)': unsupported pickle opcode 0x\(hex) at byte \(offset) of data.pkl. "
                + "Re-save the weights as a plain state dict (torch.save({'model': model.state_dict()}, p)) or as safetensors."
        case let .unsupportedDType(path, tensor, dtype):
            return "'\(path)': tensor '\(tensor)' has unsupported dtype \(dtype). Convert it to float32 before saving."
        case let .invalidTensor(path, tensor, detail):
            return "'\(path)': tensor '\(tensor)' is inconsistent: \(detail). The file is corrupt; re-export it."
        case let .missingStateDict(path, detail):
            return "'\(path)': no state dict found: \(detail)."
        case let .missingTensor(name, available):
            return "tensor '\(name)' is not in the state dict (\(available) tensors present). Check the key name and prefix."
        case let .writeFailed(path, reason):
            return "cannot write '\(path)': \(reason). Check free space and permissions; the previous file is untouched."
        }
    }
}
