/// Whether a session sends BEP 6 `suggest` messages; the counterpart of libtorrent's
/// `suggest_mode` setting. Suggestions that peers send are honoured in every mode.
public enum SuggestMode: String, Sendable, CaseIterable {
    /// Send none (libtorrent's default, `no_piece_suggestions`).
    case none
    /// Suggest pieces just read from disk into the read cache, when they are no more common
    /// among connected peers than the recent average (libtorrent's `suggest_read_cache`):
    /// peers that take the hint are served from memory. For seeds whose disk is the limit;
    /// it trades some piece diversity in the swarm for fewer disk reads.
    case readCache = "read-cache"
}
