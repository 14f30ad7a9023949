import CBridge

/// Incremental decoder for a byte stream of wire frames: feed bytes as they arrive, get complete valid
/// messages. Malformed frames are counted by kind and skipped; the decoder resynchronizes at the next 0x00.
///
/// The buffer is fixed (one maximal frame), so no input can grow it; the byte loop is the C decoder shared
/// with the firmware.
public final class FrameDecoder {
    /// Frames seen on the stream, by outcome.
    public struct Statistics: Equatable, Sendable {
        /// Valid messages delivered.
        public var messages = 0
        public var cobsErrors = 0
        public var crcErrors = 0
        public var versionErrors = 0
        /// Raw frames shorter than a header and CRC (a fragment, a lone byte of noise).
        public var shortErrors = 0
        /// More bytes before a delimiter than any frame has (a lost delimiter, a flood).
        public var longErrors = 0
        /// Payloads of the wrong size or contents for their type.
        public var payloadErrors = 0
        public var unknownTypes = 0
        /// Valid frames whose sequence number was not the previous valid frame's plus one (a HELLO starts anew).
        public var sequenceGaps = 0

        public init() {}

        /// Too short, too long, or a payload wrong for its type (the three length checks of PROTOCOL.md §2).
        public var lengthErrors: Int { shortErrors + longErrors + payloadErrors }

        /// All malformed frames.
        public var badFrames: Int { cobsErrors + crcErrors + versionErrors + lengthErrors + unknownTypes }
    }

    private let decoder: UnsafeMutablePointer<rfx_decoder>
    private let view: UnsafeMutablePointer<rfx_frame_view>
    /// C status of the last malformed frame (0 when none yet).
    public private(set) var lastError: UInt32 = 0

    public init() {
        decoder = .allocate(capacity: 1)
        decoder.initialize(to: rfx_decoder())
        rfx_decoder_init(decoder)
        view = .allocate(capacity: 1)
        view.initialize(to: rfx_frame_view())
    }

    deinit {
        decoder.deallocate()
        view.deallocate()
    }

    public var statistics: Statistics {
        let s = decoder.pointee.stats
        var out = Statistics()
        out.messages = Int(s.frames)
        out.cobsErrors = Int(s.cobs_errors)
        out.crcErrors = Int(s.crc_errors)
        out.versionErrors = Int(s.version_errors)
        out.shortErrors = Int(s.short_errors)
        out.longErrors = Int(s.long_errors)
        out.payloadErrors = Int(s.payload_errors)
        out.unknownTypes = Int(s.type_errors)
        out.sequenceGaps = Int(s.sequence_gaps)
        return out
    }

    /// Drops a partly received frame (after reopening a port, say).
    public func reset() {
        let stats = decoder.pointee.stats
        rfx_decoder_init(decoder)
        decoder.pointee.stats = stats
    }

    /// Feeds bytes; calls `body` for each valid message, in order.
    public func feed(_ bytes: UnsafeRawBufferPointer, _ body: (Envelope) -> Void) {
        feedFrames(bytes) { frame in
            switch Message.decode(frame) {
            case .success(let message):
                body(Envelope(sequence: frame.pointee.seq, message: message))
                return true
            case .failure:
                return false
            }
        }
    }

    public func feed(_ bytes: [UInt8], _ body: (Envelope) -> Void) {
        bytes.withUnsafeBytes { feed($0, body) }
    }

    /// Feeds bytes and returns the valid messages.
    public func feed(_ bytes: [UInt8]) -> [Envelope] {
        var out: [Envelope] = []
        feed(bytes) { out.append($0) }
        return out
    }

    /// Low-level feed without allocation: `body` gets each frame that passed length, COBS, CRC and version
    /// checks (valid only during the call) and returns whether its payload decoded; `false` counts it as
    /// malformed (a payload error, or an unknown type when the type is not one of the protocol's).
    public func feedFrames(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<rfx_frame_view>) -> Bool) {
        var error = RFX_OK
        for byte in bytes {
            switch rfx_decoder_push(decoder, byte, view, &error) {
            case RFX_PUSH_FRAME:
                if !body(UnsafePointer(view)) {
                    let known = MessageType.known.contains(MessageType(rawValue: view.pointee.type))
                    let status = known ? RFX_ERR_LENGTH : RFX_ERR_TYPE
                    rfx_decoder_count(decoder, status)
                    lastError = status.rawValue
                }
            case RFX_PUSH_ERROR:
                lastError = error.rawValue
            default:
                break
            }
        }
    }
}
