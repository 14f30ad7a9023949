import Foundation
import XCTest

/// `reflex render`: videos of shipped policies, and clear errors for bad input.
final class RenderCommandTests: XCTestCase {
    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "reflex-render-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Frames in a finished video: the MP4 sample table's count (`moov/trak/mdia/minf/stbl/stsz`), or the AVI
    /// main header's total frames. Nil when the container is not complete (no index written at close).
    static func frameCount(of data: Data) -> Int? {
        let bytes = [UInt8](data)
        func be32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        func le32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
        func tag(_ i: Int) -> String { String(decoding: bytes[i..<(i + 4)], as: UTF8.self) }
        guard bytes.count > 64 else { return nil }
        if tag(0) == "RIFF" && tag(8) == "AVI " {
            // RIFF AVI: LIST hdrl, then avih whose data holds dwTotalFrames at offset 16.
            guard let at = (0..<(bytes.count - 8)).first(where: { tag($0) == "avih" }) else { return nil }
            return le32(at + 8 + 16)
        }
        // MP4: boxes of (size, type); descend through the containers to stsz (sample_count after size/flags).
        func find(_ path: [String], in range: Range<Int>) -> Int? {
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let size = be32(i), type = tag(i + 4)
                guard size >= 8, i + size <= range.upperBound else { return nil }
                if type == path[0] {
                    if path.count == 1 { return i }
                    return find(Array(path.dropFirst()), in: (i + 8)..<(i + size))
                }
                i += size
            }
            return nil
        }
        guard tag(4) == "ftyp", let stsz = find(["moov", "trak", "mdia", "minf", "stbl", "stsz"], in: 0..<bytes.count) else { return nil }
        return be32(stsz + 16)
    }

    func testEveryShippedPolicyRendersAReadableVideo() throws {
        let dir = try temporaryDirectory()
        let policies = try FileManager.default.contentsOfDirectory(atPath: ReflexBinary.packageRoot.appendingPathComponent("policies").path)
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertFalse(policies.isEmpty)
        for name in policies {
            let out = dir + "/" + name.replacingOccurrences(of: ".safetensors", with: ".mp4")
            let result = try ReflexBinary.run(
                ["render", "policies/" + name, "--episodes", "2", "--out", out, "--size", "320x240", "--max-steps", "60"], timeout: 300)
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            // It says which file it wrote: the .mp4, or an .avi beside it where the codec is missing.
            let line = try XCTUnwrap(result.stdout.split(separator: "\n").last { $0.hasPrefix("wrote ") }, result.stdout)
            let written = String(line.dropFirst(6).prefix { $0 != " " })
            XCTAssertTrue(written == out || written == out.replacingOccurrences(of: ".mp4", with: ".avi"), String(line))
            let data = try Data(contentsOf: URL(fileURLWithPath: written))
            let frames = try XCTUnwrap(Self.frameCount(of: data), "\(name): \(written) is not a finished MP4 or AVI")
            let stated = line.split(separator: ",").compactMap { part -> Int? in
                let words = part.split(separator: " ")
                return words.count == 2 && words[1] == "frames" ? Int(words[0]) : nil
            }.first
            XCTAssertEqual(frames, stated, "\(name): the file holds \(frames) frames, the command said \(String(describing: stated))")
            // Two episodes of at most 60 steps: at least two frames each (start and end).
            XCTAssertGreaterThanOrEqual(frames, 4)
            XCTAssertEqual(result.stdout.components(separatedBy: "episode ").count - 1, 2, result.stdout)
        }
    }

    func testAviIsWrittenWhenAsked() throws {
        let dir = try temporaryDirectory()
        let out = dir + "/cartpole.avi"
        let result = try ReflexBinary.run(["render", "policies/cartpole.safetensors", "--episodes", "1", "--out", out, "--max-steps", "20"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("wrote \(out) (MJPG)"), result.stdout)
        XCTAssertEqual(Self.frameCount(of: try Data(contentsOf: URL(fileURLWithPath: out))), 21)
    }

    func testBadInputGetsClearErrors() throws {
        let dir = try temporaryDirectory()
        let missing = try ReflexBinary.run(["render", dir + "/none.safetensors", "--out", dir + "/x.mp4"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("none.safetensors"), missing.stderr)

        let garbage = dir + "/garbage.safetensors"
        try Data("not a policy".utf8).write(to: URL(fileURLWithPath: garbage))
        let bad = try ReflexBinary.run(["render", garbage, "--out", dir + "/x.mp4"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("garbage.safetensors"), bad.stderr)

        let unwritable = try ReflexBinary.run(["render", "policies/cartpole.safetensors", "--out", dir + "/no/such/dir/x.mp4"])
        XCTAssertNotEqual(unwritable.status, 0)
        XCTAssertTrue(unwritable.stderr.contains("no such directory"), unwritable.stderr)

        let format = try ReflexBinary.run(["render", "policies/cartpole.safetensors", "--out", dir + "/x.gif"])
        XCTAssertNotEqual(format.status, 0)
        XCTAssertTrue(format.stderr.contains(".mp4 or .avi"), format.stderr)

        let size = try ReflexBinary.run(["render", "policies/cartpole.safetensors", "--out", dir + "/x.mp4", "--size", "641x480"])
        XCTAssertNotEqual(size.status, 0)
        XCTAssertTrue(size.stderr.contains("even"), size.stderr)
    }

    func testAPolicyForAnUnknownRobotIsRefused() throws {
        // A copy of a shipped policy whose provenance names a robot that does not exist.
        let dir = try temporaryDirectory()
        var data = try Data(contentsOf: ReflexBinary.packageRoot.appendingPathComponent("policies/cartpole.safetensors"))
        let from = Data(#"\"robot\":\"cartpole\""#.utf8), to = Data(#"\"robot\":\"cartpolX\""#.utf8)
        let range = try XCTUnwrap(data.range(of: from), "the policy header names its robot")
        data.replaceSubrange(range, with: to)
        let path = dir + "/other.safetensors"
        try data.write(to: URL(fileURLWithPath: path))
        let result = try ReflexBinary.run(["render", path, "--out", dir + "/x.mp4"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("cartpolX"), result.stderr)
    }
}
