/// Patch / tubelet embedding (Conv with stride = kernel) as patchify + linear.
/// Weight is the conv weight flattened to [D, 3·t·p·p]; checkpoints store it as [D, 3, t, p, p] or [D, 3, p, p].
public struct PatchEmbed: ParameterContainer, Sendable {
    public var proj: Linear
    public let geometry: PatchGeometry

    public struct Cache: Sendable { let proj: Linear.Cache }

    /// `image` stores the weight as the Conv2d weight [D, 3, p, p] (MAE) rather than the Conv3d one.
    public init(weight: Tensor, bias: Tensor, geometry: PatchGeometry, image: Bool = false) {
        let d = weight.shape[0]
        precondition(
            weight.count == d * geometry.patchSize,
            "patch embed weight \(weight.shape) does not fit patches of \(geometry.patchSize) values")
        let (t, p) = (geometry.tubelet, geometry.patch)
        self.proj = Linear(
            weight: weight.reshaped([d, geometry.patchSize]), bias: bias,
            weightCheckpointShape: image ? [d, geometry.channels, p, p] : [d, geometry.channels, t, p, p])
        self.geometry = geometry
    }

    public var width: Int { proj.outFeatures }

    /// clips [B, 3, T, H, W] -> tokens [B, N, D].
    public func callAsFunction(_ clips: Tensor) -> Tensor { proj(patchify(clips, geometry)) }

    public func forward(_ clips: Tensor) -> (Tensor, Cache) {
        let (y, c) = proj.forward(OpProfile.op(.patchify) { patchify(clips, geometry) })
        return (y, Cache(proj: c))
    }

    /// Accumulates weight and bias gradients. Returns d clips when `needInputGrad` (pixels rarely need it).
    @discardableResult
    public mutating func backward(_ dy: Tensor, _ cache: Cache, needInputGrad: Bool = false) -> Tensor? {
        let dPatches = proj.backward(dy, cache.proj, needInputGrad: needInputGrad)
        return dPatches.map { unpatchify($0, geometry) }
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        proj.visitParameters(prefix: prefix + "proj.", visit)
    }
}
