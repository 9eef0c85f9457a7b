import FeatureExtract
import FeatureStore
import Foundation
import Models
import TestSupport
import Testing

@testable import MVDCommands

/// `extract-features` refuses absurd sizes, bad labels and caches that cannot fit on disk before creating anything.
@Suite struct ExtractFeaturesCommandTests {
    let dir: URL
    let manifest: URL

    init() throws {
        dir = try Fixtures.temporaryDirectory("extract-command")
        manifest = try CommandFixtures.write("a.mp4 0\nb.mp4 1\n", to: dir.appendingPathComponent("train.csv"))
    }

    func flags(_ out: URL, _ extra: [String]) -> [String] {
        ["--teacher", "video", "--checkpoint", "teacher.pth", "--manifest", manifest.path, "--out", out.path] + extra
    }

    @Test(
        "absurd counts are refused with their flag",
        arguments: [
            ["--views-per-video=100000000"], ["--views-per-video=0"], ["--sampling-rate=0"], ["--sampling-rate=1000000"],
            ["--batch-size=0"], ["--decode-threads=100000"], ["--threads=0"], ["--num-frames=100000000"],
            ["--input-size=-32"], ["--dtype=int16"]
        ])
    func absurdCounts(_ extra: [String]) throws {
        let out = dir.appendingPathComponent("absurd.h5")
        let refusal = try #require(CommandFixtures.message(ExtractFeaturesCommand.self, flags(out, extra)), "\(extra) was accepted")
        #expect(
            refusal.contains(String(extra[0].split(separator: "=")[0])) || refusal.contains("num_frames") || refusal.contains("input_size"),
            "\(refusal)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("--arch vit_huge for the image teacher is MAE's patch-14 ViT-H; at --teacher-input-size 196 its 14×14 grid is a patch-16 student's at 224")
    func vitHugeImageTeacher() throws {
        let out = dir.appendingPathComponent("huge.h5")
        let image = try ExtractFeaturesCommand.parse([
            "--teacher", "image", "--arch", "vit_huge", "--checkpoint", "mae.pth", "--manifest", manifest.path,
            "--out", out.path, "--teacher-input-size", "196"
        ]).makeConfig()
        #expect(image.model.patchSize == 14 && image.model.embedDim == 1280 && image.model.depth == 32 && image.model.numHeads == 16)
        #expect(image.teacherModel.inputSize == 196 && image.inputSize == 224 && image.gridSide == 14 && image.cachePatchSize == 16)
        #expect(image.tokensPerRow == 1568)
        let video = try ExtractFeaturesCommand.parse(flags(out, ["--arch", "vit_huge"])).makeConfig()
        #expect(video.model.patchSize == 16 && video.cachePatchSize == 16 && video.tokensPerRow == 1568)
        // Without the smaller input, patch 14 on 224 px gives a 16×16 grid, which a patch-16 student does not have.
        let plain = try ExtractFeaturesCommand.parse([
            "--teacher", "image", "--arch", "vit_huge", "--checkpoint", "mae.pth", "--manifest", manifest.path,
            "--out", out.path
        ]).makeConfig()
        #expect(plain.gridSide == 16 && plain.cachePatchSize == 14)
        let refusal = CommandFixtures.message(ExtractFeaturesCommand.self, flags(out, ["--teacher-input-size", "200"]))
        #expect(refusal?.contains("--teacher-input-size 200") == true, "\(refusal ?? "accepted")")
    }

    @Test("a patch-14 teacher on clips that are not a multiple of 14 is pointed at --teacher-input-size")
    func patchDoesNotDivideClips() throws {
        let out = dir.appendingPathComponent("p14.h5")
        let refusal = try #require(
            CommandFixtures.message(
                ExtractFeaturesCommand.self,
                [
                    "--teacher", "image", "--arch", "vit_huge", "--checkpoint", "mae.pth", "--manifest", manifest.path,
                    "--out", out.path, "--input-size", "48"
                ]), "accepted")
        #expect(
            refusal.contains("the 48 px clips (--input-size) are not a multiple of the teacher's patch size 14")
                && refusal.contains("--teacher-input-size 42 (the teacher sees each crop at 42 px: a 3×3 token grid, 16 px"),
            "\(refusal)")
    }

    @Test("an --out below a regular file is refused naming the file, for every command that writes a folder")
    func outUnderAFile() throws {
        let file = dir.appendingPathComponent("somefile.txt")
        try Data("x".utf8).write(to: file)
        let extract = try #require(
            CommandFixtures.message(ExtractFeaturesCommand.self, flags(file.appendingPathComponent("run/feats.h5"), [])))
        #expect(extract.contains("\(file.path) is not a directory") && !extract.contains("NSCocoaErrorDomain"), "\(extract)")
        let distill = try #require(
            CommandFixtures.message(DistillCommand.self, ["--cache", "feats.h5", "--out", file.appendingPathComponent("run").path]))
        #expect(distill.contains("\(file.path) is not a directory"), "\(distill)")
        let evaluate = try #require(
            CommandFixtures.message(
                EvaluateCommand.self,
                [
                    "--checkpoint", "s.pth", "--arch", "vit_small", "--protocol", "knn", "--train-manifest", manifest.path,
                    "--val-manifest", manifest.path, "--out", file.appendingPathComponent("run").path
                ]))
        #expect(evaluate.contains("\(file.path) is not a directory"), "\(evaluate)")
    }

    @Test("a cache larger than the free space is refused with both sizes")
    func cacheLargerThanDisk() throws {
        // 65,536 tokens of width 16,384 in float16: 2.1 GB a row, 2,000 rows, about 4.3 TB.
        let config = try CommandFixtures.write(
            #"{"embed_dim": 16384, "depth": 1, "num_heads": 16, "patch_size": 16, "input_size": 4096, "num_frames": 2, "tubelet_size": 2, "mlp_ratio": 1.0}"#,
            to: dir.appendingPathComponent("wide.json"))
        let out = dir.appendingPathComponent("huge.h5")
        let refusal = try #require(
            CommandFixtures.message(
                ExtractFeaturesCommand.self,
                flags(out, ["--model-config", config.path, "--views-per-video", "1000"])))
        #expect(refusal.contains("4295.0 GB") && refusal.contains("GB free"), "\(refusal)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("the size estimate counts features, pixels and row records of this shard, and the statistics' copy of a whole cache")
    func requiredBytes() throws {
        let model = try ModelConfig.preset("vit_base")
        let config = ExtractConfig(
            teacher: .video, checkpoint: nil, architecture: "vit_base", model: model, manifest: manifest,
            dataRoot: nil, out: dir.appendingPathComponent("none.h5"), viewsPerVideo: 3)
        let rows: Double = 10 * 3
        let features: Double = rows * 1568 * 768 * 2
        let records: Double = rows * 89 + 10 * 64  // video id, 16 frame indices, crop box, done flag; per video its strings
        // Once the teacher is complete, its statistics are stored in a copy of the file renamed over it.
        #expect(config.requiredBytes(videoCount: 10) == 2 * (features + records))
        var sharded = config
        sharded.shardCount = 2
        #expect(sharded.requiredBytes(videoCount: 10) == (features + records) / 2)  // a shard gets no statistics
        var pixels = config
        pixels.storePixels = true
        let pixelBytes: Double = rows * 16 * 224 * 224 * 3
        #expect(pixels.requiredBytes(videoCount: 10) == 2 * (features + records + pixelBytes))
        var int8 = config
        int8.dtype = .int8  // a byte per value and a float32 scale per token
        #expect(int8.requiredBytes(videoCount: 10) == 2 * (rows * (1568 * 768 + 1568 * 4) + records))
        var views = config
        views.teacher = .none
        #expect(views.requiredBytes(videoCount: 10) == rows * 89 + 10 * 64)
    }

    @Test("shards an interrupted mpirun -n 2 run left beside --out stop a run over another process count, saying how to resume them")
    func leftoverShards() throws {
        let folder = dir.appendingPathComponent("leftover")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let out = folder.appendingPathComponent("feats.h5")
        let shards = try (0..<2).map { try Shard(index: $0, count: 2).file(beside: out) }
        for url in shards { try Data("not read".utf8).write(to: url) }
        let refusal = try #require(CommandFixtures.message(ExtractFeaturesCommand.self, flags(out, [])), "accepted")
        #expect(
            refusal.contains(
                "interrupted extraction under mpirun -n 2 left its shards beside \(out.path): feats.shard-0-of-2.h5, "
                    + "feats.shard-1-of-2.h5") && refusal.contains("This run without mpirun would use none of their rows"),
            "\(refusal)")
        #expect(refusal.contains("Rerun under mpirun -n 2 to resume them"), "\(refusal)")
        #expect(refusal.contains("`mvd merge \(shards[0].path) \(shards[1].path) --out \(out.path)`"), "\(refusal)")
        // The same count resumes them; another count is refused; a missing shard cannot be merged.
        #expect(ExtractFeaturesCommand.leftoverShards(beside: out, processes: 2) == nil)
        let three = try #require(ExtractFeaturesCommand.leftoverShards(beside: out, processes: 3))
        #expect(three.contains("This run over 3 processes would use none"), "\(three)")
        try FileManager.default.removeItem(at: shards[1])
        let partial = try #require(ExtractFeaturesCommand.leftoverShards(beside: out, processes: 1))
        #expect(partial.contains("shard 1/2 was never written") && !partial.contains("mvd merge"), "\(partial)")
        // Once --out exists (the shards were merged into it), the shards are only leftovers of a finished merge.
        try Data().write(to: out)
        #expect(ExtractFeaturesCommand.leftoverShards(beside: out, processes: 1) == nil)
        #expect(Shard.files(beside: folder.appendingPathComponent("feats.shard-0-of-2.h5")).isEmpty)
    }

    @Test("adding a teacher to a small cache that does not fit counts both copies, in kB, and gives advice an existing cache can take")
    func addingTeacherDoesNotFit() throws {
        let out = dir.appendingPathComponent("small.h5")
        let attributes = CacheAttributes(
            manifestSHA256: String(repeating: "a", count: 64), numFrames: 2, samplingRate: 1, tubeletSize: 2, inputSize: 32,
            patchSize: 16, viewsPerVideo: 1, seed: 0, createdBy: "test")
        let image = TeacherSpec(
            name: "image", kind: .image, arch: "vit_test", embedDim: 8, depth: 1, numHeads: 1, patchSize: 16, inputSize: 32,
            frameStride: 2, checkpointSHA256: "00", checkpointName: "image.pth", tokenCount: 4)
        let writer = try FeatureStoreWriter(
            at: out,
            request: .init(
                attributes: attributes, videos: [VideoEntry(path: "a.mp4", label: 0), VideoEntry(path: "b.mp4", label: 1)],
                teachers: [image]))
        try writer.close()
        var model = try ModelConfig.preset("vit_base")
        (model.embedDim, model.numHeads, model.depth, model.numFrames, model.inputSize) = (16, 2, 1, 2, 32)
        let config = ExtractConfig(
            teacher: .video, checkpoint: nil, architecture: "vit_test", model: model, manifest: manifest, dataRoot: nil,
            out: out, name: "video", numFrames: 2, inputSize: 32)
        let existing = Double(try #require(try FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int))
        let features = 2.0 * 4 * 16 * 2  // 2 rows of 4 tokens × 16 float16 values
        #expect(config.requiredBytes(videoCount: 2) == existing + 2 * features)
        let error = #expect(throws: ExtractError.self) { try config.checkStorage(videoCount: 2, freeBytes: 900) }
        let message = error?.description ?? ""
        #expect(!message.contains("0.0 GB"), "\(message)")
        #expect(message.contains("needs \(ExtractConfig.formatBytes(existing + 2 * features)) free") && message.contains("kB"), "\(message)")
        #expect(message.contains("has 900 bytes free"), "\(message)")
        #expect(
            message.contains("adding teacher video copies the \(ExtractConfig.formatBytes(existing)) cache with the new teacher's 256 bytes")
                && message.contains("storing its statistics once it is complete copies that file once more"), "\(message)")
        #expect(!message.contains("lower --views-per-video") && message.contains("its views are fixed"), "\(message)")
        #expect(ExtractConfig.formatBytes(2_500_000) == "2.5 MB" && ExtractConfig.formatBytes(4_295e9) == "4295.0 GB")
    }

    @Test("labels that are not class indices are refused with the manifest line", arguments: ["-1", "100000", "4611686018427387904"])
    func badLabel(_ label: String) throws {
        let bad = try CommandFixtures.write("a.mp4 0\nb.mp4 \(label)\n", to: dir.appendingPathComponent("bad\(label).csv"))
        let refusal = try #require(
            CommandFixtures.message(
                ExtractFeaturesCommand.self,
                ["--teacher", "none", "--manifest", bad.path, "--out", dir.appendingPathComponent("l.h5").path]))
        #expect(refusal.contains("\(bad.path):2") && refusal.contains("label \(label)"), "\(refusal)")
    }
}
