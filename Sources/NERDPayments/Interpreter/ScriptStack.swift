/// A script stack that counts the bytes it holds, so the interpreter can bound memory
/// without summing the stack after every opcode.
struct ScriptStack {
    private(set) var items: [[UInt8]] = []
    /// Data bytes plus `elementOverhead` per element.
    private(set) var byteCount = 0

    /// What each element costs beyond its data (the node's ELEMENT_OVERHEAD), so millions of
    /// empty elements count too.
    static let elementOverhead = 32

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ item: [UInt8]) {
        byteCount += item.count + Self.elementOverhead
        items.append(item)
    }

    @discardableResult
    mutating func pop() throws(ScriptError) -> [UInt8] {
        guard let item = items.popLast() else { throw .invalidStackOperation }
        byteCount -= item.count + Self.elementOverhead
        return item
    }

    /// The element `depth` below the top (0 = top).
    func peek(_ depth: Int = 0) throws(ScriptError) -> [UInt8] {
        guard depth >= 0, depth < items.count else { throw .invalidStackOperation }
        return items[items.count - 1 - depth]
    }

    /// Removes and returns the element `depth` below the top.
    mutating func remove(depth: Int) throws(ScriptError) -> [UInt8] {
        guard depth >= 0, depth < items.count else { throw .invalidStackOperation }
        let item = items.remove(at: items.count - 1 - depth)
        byteCount -= item.count + Self.elementOverhead
        return item
    }

    /// Inserts `item` so that it ends up `depth` below the top.
    mutating func insert(_ item: [UInt8], depth: Int) {
        byteCount += item.count + Self.elementOverhead
        items.insert(item, at: items.count - depth)
    }

    mutating func replaceTop(_ item: [UInt8]) {
        byteCount += item.count - items[items.count - 1].count
        items[items.count - 1] = item
    }

    mutating func swapAt(depth a: Int, depth b: Int) {
        items.swapAt(items.count - 1 - a, items.count - 1 - b)
    }

    /// Fails with INVALID_STACK_OPERATION unless at least `n` elements are present.
    func require(_ n: Int) throws(ScriptError) {
        guard items.count >= n else { throw .invalidStackOperation }
    }
}
