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

    /// Post-Genesis: the node's policy of 750,000-byte numbers; scripts, elements and stack
    /// memory bounded at 32 MiB so one script cannot exhaust a NERD node's memory.
    public static let afterGenesis = ScriptLimits(
        maxScriptSize: 32 << 20, maxElementSize: 32 << 20, maxNumberLength: 750_000, maxOperations: 10_000_000,
        maxMultisigKeys: Int(Int32.max), maxStackElements: Int.max, maxStackMemory: 32 << 20)
}
