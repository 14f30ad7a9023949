import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReflexCore

/// Files that are either complete or absent: the bytes go to a temporary file in the same directory, are
/// flushed with `fsync`, and replace the target with `rename`. A crash (even SIGKILL) at any moment leaves
/// the old file or the new one, never a torn one. Policy files and training checkpoints are written this way.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically; `hook` runs after the temporary file is complete, before the rename.
    public static func write(_ bytes: [UInt8], to path: String, beforeRename hook: ((_ temporaryPath: String) throws -> Void)? = nil) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ReflexError(.io, "\(path): cannot create temporary file \(temporary): \(errnoText())")
        }
        var renamed = false
        var isOpen = true
        defer {
            if isOpen { close(fd) }
            if !renamed { unlink(temporary) }
        }
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = posixWrite(fd, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ReflexError(.io, "\(path): cannot write temporary file \(temporary): \(errnoText())")
                }
                offset += written
            }
        }
        guard fsync(fd) == 0 else {
            throw ReflexError(.io, "\(path): cannot flush temporary file \(temporary): \(errnoText())")
        }
        isOpen = false
        guard close(fd) == 0 else {
            throw ReflexError(.io, "\(path): cannot close temporary file \(temporary): \(errnoText())")
        }
        try hook?(temporary)
        guard rename(temporary, path) == 0 else {
            throw ReflexError(.io, "\(path): cannot replace file with \(temporary): \(errnoText())")
        }
        renamed = true
        // Make the rename itself durable; failure here does not undo a complete write.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Darwin.write(fd, buffer, count)
        #endif
    }
}
