/// Frames 0, s, 2s, … of every clip as separate images: clips [B, 3, T, S, S] → [B · ⌈T/s⌉, 3, S, S],
/// clip-major (image i · ⌈T/s⌉ + k is frame k·s of clip i). The image teacher and single-frame models use it.
public func strideFrames(_ clips: Tensor, stride s: Int) -> Tensor {
    precondition(clips.rank == 5 && clips.shape[1] == 3 && s >= 1, "strideFrames expects [B, 3, T, S, S], got \(clips.shape)")
    let (b, t, h, w) = (clips.shape[0], clips.shape[2], clips.shape[3], clips.shape[4])
    let kept = (t + s - 1) / s, plane = h * w
    var frames = Tensor(shape: [b * kept, 3, h, w])
    for bi in 0..<b {
        for k in 0..<kept {
            for c in 0..<3 {
                let src = ((bi * 3 + c) * t + k * s) * plane, dst = ((bi * kept + k) * 3 + c) * plane
                frames.storage.replaceSubrange(dst..<dst + plane, with: clips.storage[src..<src + plane])
            }
        }
    }
    return frames
}
