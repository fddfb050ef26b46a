/// Resource limits for script evaluation. Before Genesis they are consensus values; after
/// it the node's policy defaults apply, tightened where NERD has no use for more.
public struct ScriptLimits: Sendable, Hashable {
    /// Largest script, in bytes.
    public var maxScriptSize: Int
    /// Largest stack element, in bytes.
    public var maxElementSize: Int
    /// Longest number operand, in bytes.
    public var maxNumberLength: Int
    /// Opcodes (above OP_16) per script, plus multisig keys.
    public var maxOperations: Int
    /// Keys in one CHECKMULTISIG.
    public var maxMultisigKeys: Int
    /// Elements on the main and alt stacks together.
    public var maxStackElements: Int
    /// Bytes held by both stacks together.
    public var maxStackMemory: Int

    /// `maxStackMemory` in bits, saturating (so `Int.max` can mean "unlimited").
    var maxStackBits: Int {
        let (bits, overflow) = maxStackMemory.multipliedReportingOverflow(by: 8)
        return overflow ? Int.max : bits
    }

    public init(maxScriptSize: Int, maxElementSize: Int, maxNumberLength: Int, maxOperations: Int,
                maxMultisigKeys: Int, maxStackElements: Int, maxStackMemory: Int) {
        self.maxScriptSize = maxScriptSize
        self.maxElementSize = maxElementSize
        self.maxNumberLength = maxNumberLength
        self.maxOperations = maxOperations
        self.maxMultisigKeys = maxMultisigKeys
        self.maxStackElements = maxStackElements
        self.maxStackMemory = maxStackMemory
    }

    /// The pre-Genesis consensus limits (10,000-byte scripts, 520-byte elements, 4-byte
    /// numbers, 500 operations, 20 keys, 1,000 stack elements).
    public static let beforeGenesis = ScriptLimits(
        maxScriptSize: 10_000, maxElementSize: 520, maxNumberLength: 4, maxOperations: 500,
        maxMultisigKeys: 20, maxStackElements: 1000, maxStackMemory: 100 << 20)

    /// Post-Genesis, as NERD applies it: numbers up to 750,000 bytes (the consensus maximum;
    /// the node's policy is lower), scripts up to 32 MiB (inscriptions can be large), 500,000
    /// operations and 32 MiB of stack (each element costing 32 bytes on top of its data, as
    /// the node counts), so one script cannot exhaust a NERD node's CPU or memory.
    public static let afterGenesis = ScriptLimits(
        maxScriptSize: 32 << 20, maxElementSize: 32 << 20, maxNumberLength: 750_000, maxOperations: 500_000,
        maxMultisigKeys: Int(Int32.max), maxStackElements: Int.max, maxStackMemory: 32 << 20)
}
