import Foundation
import Models
import Tensor

/// Key layouts a trained student can be written in.
public enum ExportLayout: String, Codable, Sendable, CaseIterable {
    /// The whole student in MVD's layout (docs/method.md §8.4): the original fine-tuning code loads it directly.
    case student
    /// Only the encoder (`patch_embed.*`, `blocks.*`, `norm.*`), as fine-tuning keeps it.
    case encoder
    /// A VideoMAE pre-training checkpoint's encoder (`encoder.` prefix): loadable as a video teacher.
    case videoTeacher = "video-teacher"
    /// An MAE image encoder (`patch_embed.proj.weight` [D, 3, p, p], combined `qkv.bias` = [q, 0, v]):
    /// loadable as an image teacher. Only for single-frame models trained with `--target pixels`.
    case imageTeacher = "image-teacher"
}

extension TrainConfig {
    /// Branch names of the original's student (docs/method.md §8.4) for this run's branches: with exactly one image
    /// and one video teacher, the image teacher's branch is `img` and the video teacher's `vid`, chosen by the
    /// teachers' kind as the cache records it (a group's name is the user's choice). Any other teacher set, pixel
    /// targets, or a run saved without teacher kinds keeps the group names: the result is then empty.
    public var officialBranchNames: [String: String] {
        guard case .distill(let terms) = objective, terms.count == 2, let kinds = teacherKinds else { return [:] }
        let image = terms.filter { kinds[$0.name] == .image }, video = terms.filter { kinds[$0.name] == .video }
        guard image.count == 1, video.count == 1 else { return [:] }
        return [image[0].name: "img", video[0].name: "vid"]
    }
}

extension Student {
    /// The encoder's tensors in `layout` (decoder branches are dropped except for `.student`, whose branches are
    /// renamed by `branchNames`, e.g. `TrainConfig.officialBranchNames`).
    public mutating func exported(as layout: ExportLayout, branchNames: [String: String] = [:]) throws -> [(String, Tensor)] {
        let all = officialStateDict(branchNames: layout == .student ? branchNames : [:])
        let isEncoder = { (name: String) in name.hasPrefix("patch_embed.") || name.hasPrefix("blocks.") || name.hasPrefix("norm.") }
        switch layout {
        case .student:
            return all
        case .encoder:
            return all.filter { isEncoder($0.0) }
        case .videoTeacher:
            guard positionEncoding == .sinusoid1D else {
                throw DistillError.invalidConfig(
                    "a video teacher uses VideoMAE's 1-D position table; this model was trained with \(positionEncoding.rawValue). Train it with --target pixels --video-teacher-layout, or export --as student."
                )
            }
            return all.filter { isEncoder($0.0) }.map { ("encoder." + $0.0, $0.1) }
        case .imageTeacher:
            guard positionEncoding == .sincos2D, config.numFrames == 1, config.tubeletSize == 1 else {
                throw DistillError.invalidConfig(
                    "an image teacher is a single-frame model with the 2-D table (train with --target pixels --image-model); this one has \(config.numFrames) frames and \(positionEncoding.rawValue)"
                )
            }
            return imageTeacherTensors(all.filter { isEncoder($0.0) })
        }
    }

    private func imageTeacherTensors(_ tensors: [(String, Tensor)]) -> [(String, Tensor)] {
        let d = config.embedDim, p = config.patchSize
        var byName = Dictionary(uniqueKeysWithValues: tensors)
        var out: [(String, Tensor)] = []
        for (name, t) in tensors {
            if name == "patch_embed.proj.weight" {
                out.append((name, t.reshaped([d, 3, p, p])))
                continue
            }
            if name.hasSuffix("attn.q_bias") {
                let prefix = String(name.dropLast("q_bias".count))
                let v = byName.removeValue(forKey: prefix + "v_bias")!
                out.append((prefix + "qkv.bias", Tensor(shape: [3 * d], t.storage + [Float](repeating: 0, count: d) + v.storage)))
                continue
            }
            if name.hasSuffix("attn.v_bias") { continue }
            out.append((name, t))
        }
        return out
    }
}
