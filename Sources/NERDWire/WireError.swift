/// The error every NERDWire parser and builder throws.
///
/// `code` is stable and machine-readable (its `rawValue` is the identifier `nerd` prints and
/// `Docs/errors.md` lists); `reason` is for people and may change; `offset` is the byte
/// offset in the input where the problem was found, when there is one.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable error kind. New kinds may be added; switch with a `default`.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // Bencode (BEP 3)
        /// Malformed bencode: bad syntax, leading zeros, `i-0e`, truncation, trailing bytes,
        /// duplicate or unsorted-where-forbidden keys.
        public static let invalidBencode = Code(rawValue: "invalid_bencode")
        /// A bencode limit was exceeded: nesting depth, string length, element count, input size.
        public static let bencodeLimitExceeded = Code(rawValue: "bencode_limit_exceeded")

        // Metainfo (BEP 3, 12, 19, 27, 47, 52)
        /// The top level is not a dictionary.
        public static let notADictionary = Code(rawValue: "not_a_dictionary")
        /// `info` is missing or not a dictionary.
        public static let missingInfo = Code(rawValue: "missing_info")
        /// `name` is missing, empty after decoding, or not a string.
        public static let invalidName = Code(rawValue: "invalid_name")
        /// `piece length` is missing, not an integer, out of range, or not a power of two (v2).
        public static let invalidPieceLength = Code(rawValue: "invalid_piece_length")
        /// `pieces` is missing, not a string, or of the wrong size for the content.
        public static let invalidPieces = Code(rawValue: "invalid_pieces")
        /// A file length is missing, negative, not an integer, or the total is zero.
        public static let invalidLength = Code(rawValue: "invalid_length")
        /// A file `path` is missing or holds a non-string element.
        public static let invalidPath = Code(rawValue: "invalid_path")
        /// A `symlink path` is malformed.
        public static let invalidSymlink = Code(rawValue: "invalid_symlink")
        /// More pieces, files or duplicate names than NERD accepts.
        public static let metainfoLimitExceeded = Code(rawValue: "metainfo_limit_exceeded")
        /// A v2 `file tree` is malformed (BEP 52).
        public static let invalidFileTree = Code(rawValue: "invalid_file_tree")
        /// A non-empty v2 file has no valid `pieces root` (BEP 52).
        public static let missingPiecesRoot = Code(rawValue: "missing_pieces_root")
        /// A `piece layers` entry is malformed or does not hash up to its pieces root (BEP 52).
        public static let invalidPieceLayer = Code(rawValue: "invalid_piece_layer")
        /// A pad file where none may be (BEP 47 attribute in a v2 tree).
        public static let invalidPadFile = Code(rawValue: "invalid_pad_file")
        /// The v1 and v2 parts of a hybrid torrent describe different files (BEP 52).
        public static let inconsistentHybrid = Code(rawValue: "inconsistent_hybrid")
        /// A v2 `meta version` NERD does not know.
        public static let unsupportedMetaVersion = Code(rawValue: "unsupported_meta_version")

        // Magnet (BEP 9, 53)
        /// Not a usable magnet URI.
        public static let invalidMagnet = Code(rawValue: "invalid_magnet")

        // Peer wire protocol (BEP 3, 6, 10)
        /// Not a BitTorrent handshake, or one for the wrong torrent.
        public static let invalidHandshake = Code(rawValue: "invalid_handshake")
        // Message Stream Encryption (MSE/PE)
        /// An encrypted handshake that cannot be followed: a bad public key, no sync marker
        /// within the 512 bytes of padding, a non-zero verification constant, a pad over 512 bytes.
        public static let invalidEncryptionHandshake = Code(rawValue: "invalid_encryption_handshake")
        /// An encrypted handshake for a torrent this node does not have (no matching SKEY).
        public static let unknownInfoHash = Code(rawValue: "unknown_info_hash")
        /// The two sides share no crypto method (plaintext or RC4), or the policy refuses the
        /// kind of handshake the peer used (plain under `forced`, encrypted under `disabled`).
        public static let encryptionNegotiationFailed = Code(rawValue: "encryption_negotiation_failed")
        /// A peer message of the wrong size for its ID, or a malformed payload.
        public static let invalidMessage = Code(rawValue: "invalid_message")
        /// A length prefix above the allowed maximum.
        public static let messageTooLarge = Code(rawValue: "message_too_large")

        // Torrent creation
        /// The content to make a torrent from cannot be used (missing, empty, unreadable).
        public static let invalidContent = Code(rawValue: "invalid_content")
        /// Reading content from disk failed.
        public static let ioError = Code(rawValue: "io_error")
    }

    public var code: Code
    public var reason: String
    /// Byte offset in the input, when the error is tied to one.
    public var offset: Int?

    public init(_ code: Code, _ reason: String, offset: Int? = nil) {
        self.code = code
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(code): \(reason) (at byte \(offset))" }
        return "\(code): \(reason)"
    }
}
