// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
/// Patch / tubelet embedding with stride = kernel: a reshape of the clip into patches, then a linear map.
///
/// Video input: [B, 3, T, H, W] (channel-major, as the PyTorch models take). With tubelet t and patch p the
/// tokens are ordered n = t'·(H/p)(W/p) + h'·(W/p) + w', and each patch is flattened in (c, dt, dy, dx) order,
/// matching a Conv3d weight [D, 3, t, p, p] flattened to [D, 3·t·p·p]. Images are the t = 1, T = 1 case.

/// The patch geometry of a clip.
public struct PatchGeometry: Sendable, Equatable {
    public var channels: Int, frames: Int, height: Int, width: Int
    public var tubelet: Int, patch: Int

    public init(channels: Int = 3, frames: Int, height: Int, width: Int, tubelet: Int, patch: Int) {
        precondition(frames % tubelet == 0 && height % patch == 0 && width % patch == 0,
                     "clip \(frames)x\(height)x\(width) is not divisible by tubelet \(tubelet) / patch \(patch)")
        self.channels = channels
        self.frames = frames
        self.height = height
        self.width = width
        self.tubelet = tubelet
        self.patch = patch
    }

    public var gridT: Int { frames / tubelet }
    public var gridH: Int { height / patch }
    public var gridW: Int { width / patch }
    public var tokens: Int { gridT * gridH * gridW }
    public var patchSize: Int { channels * tubelet * patch * patch }
    public var clipSize: Int { channels * frames * height * width }
}

/// Rearranges clips [B, 3, T, H, W] into patches [B, N, 3·t·p·p].
public func patchify(_ clips: Tensor, _ g: PatchGeometry) -> Tensor {
    let b = clips.count / g.clipSize
    precondition(clips.count == b * g.clipSize, "patchify: \(clips.shape) is not a batch of \(g)")
    var out = Tensor(shape: [b, g.tokens, g.patchSize])
    moveBetweenClipAndPatches(clips: &out, patches: clips, g, batch: b, toPatches: true)
    return out
}

/// The inverse of `patchify`: patches [B, N, 3·t·p·p] back to clips [B, 3, T, H, W].
public func unpatchify(_ patches: Tensor, _ g: PatchGeometry) -> Tensor {
    let b = patches.count / (g.tokens * g.patchSize)
    var out = Tensor(shape: [b, g.channels, g.frames, g.height, g.width])
    moveBetweenClipAndPatches(clips: &out, patches: patches, g, batch: b, toPatches: false)
    return out
}

/// Copies rows of p pixels between the two layouts. `toPatches`: `patches` holds the clip and `clips` receives
/// patches (names refer to the destination roles to keep one loop for both directions).
private func moveBetweenClipAndPatches(clips dst: inout Tensor, patches src: Tensor, _ g: PatchGeometry,
                                       batch b: Int, toPatches: Bool) {
    let (gt, gh, gw, t, p) = (g.gridT, g.gridH, g.gridW, g.tubelet, g.patch)
    let hw = g.height * g.width, thw = g.frames * hw
    src.withUnsafeBufferPointer { ps in dst.withUnsafeMutableBufferPointer { pd in
        let s = ps.baseAddress!, d = pd.baseAddress!
        parallelRanges(b * g.tokens, grain: 16) { r in
            for token in r {
                let bi = token / g.tokens, n = token % g.tokens
                let ti = n / (gh * gw), hi = (n / gw) % gh, wi = n % gw
                var k = token * g.patchSize
                for c in 0..<g.channels {
                    for dt in 0..<t {
                        for dy in 0..<p {
                            let pixel = bi * g.channels * thw + c * thw + (ti * t + dt) * hw
                                + (hi * p + dy) * g.width + wi * p
                            if toPatches { (d + k).update(from: s + pixel, count: p) } else { (d + pixel).update(from: s + k, count: p) }
                            k += p
                        }
                    }
                }
            }
        }
        _ = gt
    }}
}
