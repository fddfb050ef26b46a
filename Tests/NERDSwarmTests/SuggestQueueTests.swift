import Testing

@testable import NERDSwarm

/// Which pieces a read-cache seed keeps as suggestions: the ones no more common than the
/// running mean, newest first, bounded, forgotten when they leave memory.
@Suite struct SuggestQueueTests {
    @Test func keepsPiecesNoMoreCommonThanTheMean() {
        var queue = SuggestQueue(capacity: 4)
        let kept = [queue.pieceRead(1, availability: 3),  // the first read sets the mean
                    queue.pieceRead(2, availability: 9),  // above the mean
                    queue.pieceRead(3, availability: 0),
                    // a common piece nudges the mean up only slowly (about 1/30 per read)
                    queue.pieceRead(4, availability: 5)]
        #expect(kept == [true, false, true, false])
        #expect(queue.pieces == [1, 3])
    }

    @Test func newestFirstBoundedAndForgotten() {
        var queue = SuggestQueue(capacity: 3)
        for piece in UInt32(1)...5 { queue.pieceRead(piece, availability: 0) }
        #expect(queue.pieces == [3, 4, 5])
        queue.pieceRead(3, availability: 0)
        #expect(queue.pieces == [4, 5, 3], "read again: newest")
        #expect(queue.candidates(count: 2) { _ in true } == [3, 5])
        #expect(queue.candidates(count: 5) { $0 != 5 } == [3, 4])
        queue.remove(5)
        #expect(queue.pieces == [4, 3])
    }
}
