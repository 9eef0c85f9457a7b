import Foundation
import Testing

@testable import Tensor

@Suite("operation profile")
struct OpProfileTests {
    @Test("a region's self time excludes the regions inside it, and the self times add up to the step's wall time")
    func selfTimes() throws {
        var nestedWall = 0.0
        let (_, p) = OpProfile.record {
            OpProfile.section("encoder forward") {
                let start = DispatchTime.now().uptimeNanoseconds
                OpProfile.op(.linear) {
                    usleep(20_000)
                    OpProfile.op(.gelu) { usleep(10_000) }
                }
                nestedWall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                usleep(5_000)
            }
        }
        let section = try #require(p.seconds["encoder forward"])
        let linear = try #require(section[.linear]), gelu = try #require(section[.gelu])
        #expect(gelu >= 0.010 && linear >= 0.020, "gelu \(gelu), linear \(linear)")
        // The linear region's own time leaves out the GELU inside it: the two add up to its wall time.
        #expect(abs(linear + gelu - nestedWall) < 1e-3, "linear \(linear) + gelu \(gelu) vs \(nestedWall)")
        #expect(try #require(section[.other]) >= 0.005, "the section's time outside any operation is its 'other'")
        #expect(p.sectionOrder == ["encoder forward", "step"])
        #expect(p.seconds(of: .gelu) == gelu)
        #expect(p.total >= 0.035)
    }

    @Test("nothing is recorded without a profile, nor from another thread")
    func onlyTheOwnerRecords() {
        #expect(OpProfile.active == nil, "no profile on this thread")
        #expect(OpProfile.op(.linear) { 7 } == 7, "without a profile the region only runs its body")
        let (_, p) = OpProfile.record {
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                OpProfile.section("elsewhere") { OpProfile.op(.gelu) { usleep(1_000) } }
                done.signal()
            }
            done.wait()
        }
        #expect(p.seconds["elsewhere"] == nil && p.seconds(of: .gelu) == 0)
        #expect(OpProfile.active == nil, "the profile ends with record")
    }
}
