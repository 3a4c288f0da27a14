import GradvizCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Clocks, memory and statistics for the benchmark.

/// Monotonic time in nanoseconds.
@inline(__always)
func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Runs `body` and returns its result with the elapsed seconds.
@inline(__always)
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = nowNanoseconds()
    let result = try body()
    return (result, Double(nowNanoseconds() - start) / 1e9)
}

/// Resident memory of this process, from /proc/self/status (Linux); nil elsewhere.
enum Memory {
    /// (current RSS, peak RSS) in bytes.
    static func rss() -> (current: Int, peak: Int)? {
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var current = -1, peak = -1
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(cString: line)
            if s.hasPrefix("VmRSS:") { current = kilobytes(s) }
            else if s.hasPrefix("VmHWM:") { peak = kilobytes(s) }
        }
        guard current >= 0, peak >= 0 else { return nil }
        return (current * 1024, peak * 1024)
    }

    private static func kilobytes(_ line: String) -> Int {
        Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }

    /// Gives freed heap back to the system and resets the peak-RSS mark to the current
    /// RSS (writing 5 to /proc/self/clear_refs, Linux 4.0+), so the next peak reading is
    /// the peak of what runs from here on. Returns false when the reset is not possible.
    @discardableResult
    static func resetPeak() -> Bool {
        #if canImport(Glibc)
        // malloc_trim is glibc's and not in Swift's Glibc module: looked up at run time.
        typealias Trim = @convention(c) (Int) -> Int32
        if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "malloc_trim") {
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
        #endif
        guard let f = fopen("/proc/self/clear_refs", "w") else { return false }
        let ok = fputs("5", f) >= 0
        return fclose(f) == 0 && ok
    }
}

/// Median of a non-empty list.
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    let n = s.count
    precondition(n > 0)
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

// MARK: - Formatting

func formatSeconds(_ s: Double) -> String {
    if s >= 1 { return fixed(s, 3) + " s" }
    if s >= 1e-3 { return fixed(s * 1e3, 2) + " ms" }
    return fixed(s * 1e6, 1) + " µs"
}

func formatBytes(_ b: Int) -> String {
    let d = Double(b)
    let kib = 1024.0, mib = kib * 1024, gib = mib * 1024
    if d >= gib { return fixed(d / gib, 2) + " GiB" }
    if d >= mib { return fixed(d / mib, 1) + " MiB" }
    if d >= kib { return fixed(d / kib, 1) + " KiB" }
    return "\(b) B"
}

/// `x` with `digits` digits after the point (no Foundation needed).
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let negative = x < 0
    let r = (abs(x) * scale).rounded()
    let whole = Int(r / scale)
    var frac = String(Int(r - Double(whole) * scale))
    while frac.count < digits { frac = "0" + frac }
    return (negative && r != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
}

/// A plain text table: right-aligned columns except the first.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i == 0 ? c + pad : pad + c
            }.joined(separator: "  ")
        }
        var out = line(header) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }
}

/// The core's deterministic generator (SplitMix64): the same seed gives the same graphs.
typealias SplitMix64 = SeededGenerator

extension SeededGenerator {
    /// Uniform in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
