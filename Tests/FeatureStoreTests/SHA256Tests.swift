import FeatureStore
import Foundation
import TestSupport
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    // FIPS 180-4 / NIST example vectors.
    @Test(
        "digests match the published test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            )
        ])
    func vectors(message: String, digest: String) {
        #expect(SHA256.hexDigest(of: Array(message.utf8)) == digest)
    }

    @Test("one million 'a' hashed in uneven pieces and from a file give the published digest")
    func streaming() throws {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var hasher = SHA256()
        var start = 0, step = 1
        while start < million.count {
            let end = min(million.count, start + step)
            hasher.update(million[start..<end])
            start = end
            step = step * 3 + 1
        }
        #expect(hasher.finalize().map { String(format: "%02x", $0) }.joined() == expected)
        let file = try Fixtures.temporaryDirectory("sha").appendingPathComponent("a.bin")
        try Data(million).write(to: file)
        #expect(try SHA256.hexDigest(ofFileAt: file) == expected)
    }
}

@Suite("SHA-256 values")
struct SHA256ValueTests {
    static func hex(_ digest: [UInt8]) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    @Test("a copy taken mid-stream hashes on independently, and finalize starts the hasher over")
    func copiesAreIndependent() {
        var first = SHA256()
        first.update(Array("ab".utf8))
        var second = first
        first.update(Array("c".utf8))
        second.update(Array("d".utf8))
        #expect(Self.hex(first.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")  // "abc"
        #expect(Self.hex(second.finalize()) == SHA256.hexDigest(of: Array("abd".utf8)))
        // After finalize the hasher is empty again: the digest of "" comes next.
        #expect(Self.hex(second.finalize()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
