/// The ids of a model and what they name (or other names: op names), as a dictionary of
/// Strings would keep them, but hashed faster.
///
/// A node of a scalar graph looks up three ids or so (its inputs, its own), and with
/// String's own hashing (SipHash, made to resist chosen keys) each lookup took some 350
/// instructions, a tenth of reading the node. Ids come from the user's own file, so a
/// cheaper hash of their bytes will do; the table still compares whole strings.
struct IdTable<Value> {
    private var entries: [Key: Value] = [:]

    /// An id that hashes its UTF-8 bytes with FNV-1a and a final mix (murmur3's
    /// finalizer), rather than through `Hasher`.
    struct Key: Hashable {
        let id: String

        static func == (a: Key, b: Key) -> Bool { a.id == b.id }

        func hash(into hasher: inout Hasher) { hasher.combine(_rawHashValue(seed: 0)) }

        /// Dictionary's entry point for hashing a key (the default goes through Hasher).
        func _rawHashValue(seed: Int) -> Int {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bitPattern: Int64(seed))
            let hashed: Void? = id.utf8.withContiguousStorageIfAvailable { bytes in
                for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            }
            if hashed == nil { for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
            h = (h ^ (h >> 33)) &* 0xff51_afd7_ed55_8ccd
            h = (h ^ (h >> 33)) &* 0xc4ce_b9fe_1a85_ec53
            return Int(bitPattern: UInt(h ^ (h >> 33)))
        }
    }

    var count: Int { entries.count }

    subscript(id: String) -> Value? {
        get { entries[Key(id: id)] }
        set { entries[Key(id: id)] = newValue }
    }

    subscript(id: String, default value: @autoclosure () -> Value) -> Value {
        get { entries[Key(id: id), default: value()] }
        set { entries[Key(id: id), default: value()] = newValue }
    }

    /// Sets the value of `id`; returns the one it had.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey id: String) -> Value? { entries.updateValue(value, forKey: Key(id: id)) }

    mutating func reserveCapacity(_ n: Int) { entries.reserveCapacity(n) }

    /// The ids whose value passes `isIncluded`, in no particular order.
    func ids(where isIncluded: (Value) -> Bool) -> [String] { entries.compactMap { isIncluded($0.value) ? $0.key.id : nil } }
}
