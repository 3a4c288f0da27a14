/// The ids of a model and what they name (or other names: op names): a dictionary of
/// Strings, but hashed faster and compared byte for byte.
///
/// A node of a scalar graph looks up three ids or so (its inputs, its own), and with
/// String's own hashing (SipHash, made to resist chosen keys) each lookup took some 350
/// instructions, a tenth of reading the node. Ids come from the user's own file, so a
/// cheaper hash of their bytes will do; the table still compares whole strings.
struct IdTable<Value> {
    private var entries: [Key: Value] = [:]

    /// An id that hashes its UTF-8 bytes with FNV-1a and a final mix (murmur3's
    /// finalizer), rather than through `Hasher`, and is equal to another with the same
    /// bytes.
    struct Key: Hashable {
        let id: String
        /// FNV-1a of the bytes, computed once: the table's seed is mixed in per lookup.
        private let bytesHash: UInt64
        private let isASCII: Bool

        init(id: String) {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325, bits: UInt8 = 0
            let hashed: Void? = id.utf8.withContiguousStorageIfAvailable { bytes in
                for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3; bits |= b }
            }
            // (The loop written twice: one generic helper for both cost a quarter of the
            // plan's instructions, unspecialized.)
            if hashed == nil { for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3; bits |= b } }
            self.id = id
            bytesHash = h
            isASCII = bits < 0x80
        }

        /// Byte for byte, as the hash is. String's own == also matches canonically
        /// equivalent spellings ("K" and the Kelvin sign), which hash apart, so a lookup
        /// would find them or not by chance. With an ASCII side and as many bytes, String's
        /// == (fast for short strings) can only mean the same bytes.
        static func == (a: Key, b: Key) -> Bool {
            guard a.bytesHash == b.bytesHash, a.id.utf8.count == b.id.utf8.count, a.id == b.id else { return false }
            return a.isASCII || b.isASCII || a.id.utf8.elementsEqual(b.id.utf8)
        }

        func hash(into hasher: inout Hasher) { hasher.combine(bytesHash) }

        /// Dictionary's entry point for hashing a key (the default goes through Hasher).
        func _rawHashValue(seed: Int) -> Int {
            var h = bytesHash ^ UInt64(bitPattern: Int64(seed))
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
