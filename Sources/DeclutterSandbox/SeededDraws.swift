/// Deterministic draws from a seed: the `index`-th draw of a `stream` is always the same number,
/// whatever order concurrent requests arrive in.
struct SeededDraws: Sendable {
    let seed: UInt64

    /// A uniform number in 0..<1.
    func unit(_ stream: Stream, _ index: UInt64, _ salt: UInt64 = 0) -> Double {
        Double(bits(stream, index, salt) >> 11) / Double(UInt64(1) << 53)
    }

    /// 64 uniform bits.
    func bits(_ stream: Stream, _ index: UInt64, _ salt: UInt64 = 0) -> UInt64 {
        Self.mix(seed ^ Self.mix(stream.rawValue &* 0x9E37_79B9_7F4A_7C15 ^ index) ^ Self.mix(salt &+ 0xA5A5))
    }

    /// True with probability `ratio`.
    func chance(_ ratio: Double, _ stream: Stream, _ index: UInt64, _ salt: UInt64 = 0) -> Bool {
        ratio > 0 && unit(stream, index, salt) < ratio
    }

    /// 128 deterministic bits shaped as a version-4 UUID.
    func uuid(_ stream: Stream, _ index: UInt64) -> UUID {
        let high = Self.mix(seed ^ Self.mix(stream.rawValue ^ (index << 1)))
        let low = Self.mix(high ^ Self.mix(index &+ 0x5EED))
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    enum Stream: UInt64 {
        case apiFault = 1, generation = 2, callback = 3, project = 4, generationID = 5, resultImage = 6
    }

    /// SplitMix64's finaliser.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import Foundation
