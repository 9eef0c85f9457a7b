import Benchmarks
import CKernels
import Foundation
import Models
import TestSupport
import Testing

@testable import MVDCommands

/// `mvd bench`: the student path runs on its own, and `--json` prints one parseable record per figure.
@Suite struct BenchCommandTests {
    let dir: URL

    init() throws {
        dir = try Fixtures.temporaryDirectory("bench-command")
    }

    @Test("the student step runs into a folder nothing has created (as `mvd bench --student` alone does)")
    func studentStepCreatesItsFolder() throws {
        let scratch = dir.appendingPathComponent("not-yet-created")
        // 4 frames of 32² in tubelets of 2 and patches of 8: 32 tokens, as the command fixtures' student.
        let student = ModelConfig(embedDim: 32, depth: 1, numHeads: 2, patchSize: 8, inputSize: 32, numFrames: 4)
        let teacher = ModelConfig(embedDim: 16, depth: 1, numHeads: 2, patchSize: 8, inputSize: 32, numFrames: 4)
        let times = try PipelineBenchmark.studentStep(batch: 2, dir: scratch, steps: 2, student: student, teacher: teacher)
        #expect(times.cached.runs == 2, "the first of 3 steps warms up and is not timed")
        let online = try #require(times.online)
        #expect(online.runs >= 2)
        #expect(times.cached.median > 0 && online.median > 0)
        #expect((0...1).contains(times.dataWait))
        let alone = try PipelineBenchmark.studentStep(batch: 1, dir: scratch, steps: 2, student: student, teacher: teacher, withTeachers: false)
        #expect(alone.online == nil && alone.cached.runs == 2)
        // The profile of one step: every part of the step is a section, and the products are in all four model parts.
        let profile = try PipelineBenchmark.studentStepProfile(batch: 2, dir: scratch, student: student, teacher: teacher)
        for section in ["encoder forward", "decoders forward", "decoders backward", "encoder backward"] {
            #expect((profile.seconds[section]?[.linear] ?? 0) > 0, "\(section)")
        }
        #expect((profile.seconds["update"]?[.adamW] ?? 0) > 0 && (profile.seconds["update"]?[.gradientNorm] ?? 0) > 0)
        #expect((profile.seconds["losses"]?[.loss] ?? 0) > 0)
    }

    @Test("--json prints only JSON lines, one per product, backend and thread count, with the shape, kernels and timing")
    func jsonLines() throws {
        let out = dir.appendingPathComponent("bench.jsonl")
        let result = try CommandFixtures.run(
            "mvd",
            [
                "bench", "--json", "--skip-block", "--threads", "1,2",
                "--gemm-shapes", "8x16x4,3×5×7", "--precision", "fp32"
            ], stdout: out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("OpenBLAS kernel"), "headings go to standard error: \(result.stderr)")
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 8, "2 products × 2 backends × 2 thread counts, got \(lines)")
        var seen: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
            #expect(object["what"] as? String == "gemm")
            let kind = try #require(object["kind"] as? String)
            #expect(object["precision"] as? String == "fp32")
            #expect((object["dnnl_kernel"] as? String).map { !$0.isEmpty } == true, "\(line)")
            #expect(object["model"] == nil, "a product has a shape, not a model: \(line)")
            let kernel = try #require(object["blas_kernel"] as? String, "\(line)")
            #expect(!kernel.isEmpty && kernel != "unknown")
            let (m, k, n) = try (#require(object["m"] as? Int), #require(object["k"] as? Int), #require(object["n"] as? Int))
            let threads = try #require(object["threads"] as? Int)
            seen.append("\(m)x\(k)x\(n)@\(threads) \(kind)")
            let seconds = try #require(object["seconds"] as? Double, "\(line)")
            let gflops = try #require(object["gflops"] as? Double, "\(line)")
            #expect(seconds > 0)
            // The rate is the product's flops over the median time.
            #expect(abs(gflops - 2 * Double(m * k * n) / seconds / 1e9) <= 1e-9 * max(gflops, 1))
            #expect(try #require(object["repeats"] as? Int) >= 3, "a median rests on at least 3 runs")
            #expect(try #require(object["max_relative_error"] as? Double) < 1e-5, "\(line)")
        }
        #expect(
            seen == [
                "8x16x4@1 linear-openblas", "8x16x4@1 linear", "3x5x7@1 linear-openblas", "3x5x7@1 linear",
                "8x16x4@2 linear-openblas", "8x16x4@2 linear", "3x5x7@2 linear-openblas", "3x5x7@2 linear"
            ])
    }

    @Test("a record's JSON line decodes to the same record, and its table row shows its time and repeats", arguments: BenchRecord.Figure.allCases)
    func recordRenderings(figure: BenchRecord.Figure) throws {
        var r = BenchRecord(
            what: figure, model: "vit_small", kind: "video", precision: "fp32", threads: 2, seconds: 0.123456,
            repeats: 7, blasKernel: "Haswell")
        (r.batch, r.gflops, r.m, r.k, r.n, r.tokens, r.frames) = (2, 98.7, 1568, 768, 3072, 1568, 16)
        (r.clipsPerSecond, r.maxRelativeError, r.decodeSeconds, r.forwardSeconds) = (8.1, 2.5e-7, 0.011, 0.222)
        (r.writeSeconds, r.bytesPerRow, r.dataWait) = (0.0033, 2_408_448, 0.25)
        (r.meanRelativeError, r.cosine) = (1.5e-3, 0.99999)
        (r.section, r.peakRssMb) = ("decoders backward", 1234.5)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let line = r.jsonLine
        #expect(!line.contains("\n"))
        #expect(try decoder.decode(BenchRecord.self, from: Data(line.utf8)) == r, "\(line)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["what"] as? String == figure.rawValue && object["blas_kernel"] as? String == "Haswell")
        let shown: [String] =
            switch figure {
            case .gemm: ["1568×", "3072", "98.7", "1.23e-01", "   7   ", "2.5e-07"]
            case .blockForward, .blockBackward: ["threads 2", "0.123 s", "99 GFLOP/s", "7 runs"]
            case .teacherForward: ["vit_small fp32 threads 2", "video", "16 frames", "0.123 s/clip", "8.10 clips/s", "7 runs"]
            case .extract: ["8.100 clips/s", "0.123 s/clip", "decode 0.011", "forward 0.222", "write 0.0033", "2408448 bytes/row", "7 clips"]
            case .studentStep: ["batch 2", "0.123 s/step", "7 runs", "data wait 25.0%"]
            case .bf16Accuracy: ["vit_small video teacher", "max rel. error 2.5e-07", "mean rel. error 1.5e-03", "cosine 0.999990"]
            case .peak: ["peak fp32 threads 2", "98.7 GFLOP/s", "7 runs"]
            case .profile: ["decoders backward", "video", "123.5 ms"]
            }
        let row = r.tableLine
        for text in shown { #expect(row.contains(text), "'\(text)' missing from the row: \(row)") }
    }

    @Test("--gemm-shapes refuses anything but M×K×N products of sides in range, naming the field")
    func gemmShapesAreChecked() throws {
        for bad in ["8x16", "8x16x4x2", "8x0x4", "8x16x99999", "8x16x4,", "axbxc", "8,16,4"] {
            let message = try #require(CommandFixtures.message(BenchCommand.self, ["--gemm-shapes", bad]), "'\(bad)' was accepted")
            #expect(message.contains("--gemm-shapes") && message.contains("M×K×N"), "\(message)")
        }
        #expect(CommandFixtures.message(BenchCommand.self, ["--gemm-shapes", "1568x768x3072,160×384×1152"]) == nil)
    }

    @Test("the student and teacher selections refuse what they cannot run, naming the flag")
    func selectionsAreChecked() throws {
        for (args, flag) in [
            (["--profile"], "--profile"), (["--from-cache-only"], "--from-cache-only"),
            (["--student", "--student-batches", "0"], "--student-batches"), (["--student", "--student-batches", "1,x"], "--student-batches"),
            (["--teachers", "--teacher-kinds", "audio"], "--teacher-kinds"), (["--teachers", "--teacher-models", "vit_tiny_x"], "--teacher-models")
        ] {
            let message = try #require(CommandFixtures.message(BenchCommand.self, args), "\(args) was accepted")
            #expect(message.contains(flag), "\(args): \(message)")
        }
        #expect(CommandFixtures.message(BenchCommand.self, ["--student", "--student-batches", "1,4", "--from-cache-only", "--profile"]) == nil)
        #expect(CommandFixtures.message(BenchCommand.self, ["--teachers", "--teacher-models", "vit_base", "--teacher-kinds", "video"]) == nil)
    }

    @Test("--threads refuses anything but a list of counts from 1 to the limit")
    func threadCountsAreChecked() throws {
        for bad in ["0", "1,x", "1,", "", "2,99999"] {
            let message = try #require(CommandFixtures.message(BenchCommand.self, ["--threads", bad]), "'\(bad)' was accepted")
            #expect(message.contains("--threads"), "\(message)")
        }
        #expect(CommandFixtures.message(BenchCommand.self, ["--threads", "1,2"]) == nil)
    }

    @Test("the peak loops report each loop once, fp32 first, with the rate their time implies")
    func peakLoops() throws {
        let peaks = PeakBenchmark.measure(threads: 2, repeats: 1, iterations: 200_000)
        let expected: [(String, Double)]
        if mvd_cpu_has_avx512() != 0 {
            expected = [("fma-fp32", 12.0 * 32)] + (mvd_cpu_has_avx512_bf16() != 0 ? [("dot-bf16", 12.0 * 64)] : [])
        } else if mvd_peak_fma_fp32_avx2(1) != 0 {
            expected = [("fma-fp32-avx2", 12.0 * 16)]
        } else {
            expected = []
        }
        #expect(peaks.map(\.kind) == expected.map(\.0))
        for (p, (_, flops)) in zip(peaks, expected) {
            #expect(p.seconds > 0 && p.gflops.isFinite)
            #expect(abs(p.gflops - 2 * 200_000 * flops / p.seconds / 1e9) <= 1e-9 * p.gflops, "\(p)")
        }
    }
}
