import DeclutterFiles
import Foundation
import NIOCore

/// Writes a ZIP archive as it is sent: the caller asks for each entry's header, passes the contents through
/// `add` chunk by chunk (and sends them on itself), then asks for the descriptor closing the entry, and last for
/// the central directory. Nothing of an entry's contents is kept; memory grows only with the central directory.
///
/// Entries are stored as they are (method 0: the images are compressed already), with UTF-8 names. Their
/// CRC-32 and size follow the contents in a data descriptor (flag bit 3), since they are known only then.
/// There is no ZIP64: an entry or an archive offset that would not fit 32 bits, or more than 65534 entries, is
/// refused with a `ZipStreamError` before any byte is written wrong. A call that throws changes nothing.
struct ZipStream {
    /// The entry between `beginEntry` and `endEntry`.
    private struct OpenEntry {
        let name: [UInt8]
        let time: UInt16
        let date: UInt16
        let headerOffset: UInt32
        var crc = CRC32()
        var size: UInt32 = 0
    }

    private var open: OpenEntry?
    private var names: Set<String> = []
    /// The central directory records of the closed entries, in order.
    private var central = ByteBuffer()
    private var entryCount = 0
    private var finished = false
    private(set) var offset: UInt64 = 0

    /// The largest offset or size written; 0xFFFF_FFFF itself would tell a reader to look for ZIP64 records.
    private static let limit: UInt64 = 0xFFFF_FFFE
    private static let maxEntries = 0xFFFE
    /// Bit 3: CRC and sizes in a data descriptor; bit 11: the name is UTF-8.
    private static let flags: UInt16 = 0x0808
    private static let versionNeeded: UInt16 = 20
    /// Unix (3) and version 2.0, so that the external attributes below are read as a mode.
    private static let versionMadeBy: UInt16 = 0x0314
    /// A regular file, rw-r--r--.
    private static let externalAttributes: UInt32 = 0o100644 << 16
    private static let descriptorSize: UInt64 = 16

    init() {}

    /// The local file header of a new entry. Throws if an entry is open, the name is empty, longer than 65535
    /// bytes or already used, or the archive is finished or full.
    mutating func beginEntry(named name: String, modified: Date) throws -> ByteBuffer {
        guard !finished else { throw ZipStreamError("the archive is finished") }
        guard open == nil else { throw ZipStreamError("an entry is still open") }
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw ZipStreamError("an entry needs a name") }
        guard bytes.count <= Int(UInt16.max) else { throw ZipStreamError("a name of \(bytes.count) bytes is too long") }
        guard !names.contains(name) else { throw ZipStreamError("\(name) is in the archive already") }
        guard entryCount < Self.maxEntries else { throw ZipStreamError("more than \(Self.maxEntries) entries") }
        // Room for the header and the descriptor of an empty entry, so that an entry begun can always be ended.
        guard offset + 30 + UInt64(bytes.count) + Self.descriptorSize <= Self.limit else {
            throw ZipStreamError("the archive would pass 4 GiB")
        }
        let (time, date) = Self.dosTimestamp(modified)
        var header = ByteBuffer()
        header.writeInteger(UInt32(0x0403_4B50), endianness: .little)
        header.writeInteger(Self.versionNeeded, endianness: .little)
        header.writeInteger(Self.flags, endianness: .little)
        header.writeInteger(UInt16(0), endianness: .little)  // stored
        header.writeInteger(time, endianness: .little)
        header.writeInteger(date, endianness: .little)
        // CRC-32, compressed and uncompressed size: in the data descriptor.
        header.writeInteger(UInt32(0), endianness: .little)
        header.writeInteger(UInt32(0), endianness: .little)
        header.writeInteger(UInt32(0), endianness: .little)
        header.writeInteger(UInt16(bytes.count), endianness: .little)
        header.writeInteger(UInt16(0), endianness: .little)  // no extra field
        header.writeBytes(bytes)
        open = OpenEntry(name: bytes, time: time, date: date, headerOffset: UInt32(offset))
        names.insert(name)
        offset += UInt64(header.readableBytes)
        return header
    }

    /// Counts and checksums a chunk of the open entry's contents; the caller sends the chunk itself on, after
    /// this returns. Throws, the chunk not counted, if no entry is open or the archive would pass 4 GiB.
    mutating func add(_ chunk: ByteBuffer) throws {
        guard var entry = open else { throw ZipStreamError("no entry is open") }
        let count = UInt64(chunk.readableBytes)
        guard offset + count + Self.descriptorSize <= Self.limit else {
            throw ZipStreamError("the archive would pass 4 GiB within \(String(decoding: entry.name, as: UTF8.self))")
        }
        chunk.withUnsafeReadableBytes { entry.crc.update($0) }
        entry.size += UInt32(count)
        open = entry
        offset += count
    }

    /// The data descriptor closing the open entry.
    mutating func endEntry() throws -> ByteBuffer {
        guard let entry = open else { throw ZipStreamError("no entry is open") }
        var descriptor = ByteBuffer()
        descriptor.writeInteger(UInt32(0x0807_4B50), endianness: .little)
        descriptor.writeInteger(entry.crc.value, endianness: .little)
        descriptor.writeInteger(entry.size, endianness: .little)  // compressed: stored, the same
        descriptor.writeInteger(entry.size, endianness: .little)

        central.writeInteger(UInt32(0x0201_4B50), endianness: .little)
        central.writeInteger(Self.versionMadeBy, endianness: .little)
        central.writeInteger(Self.versionNeeded, endianness: .little)
        central.writeInteger(Self.flags, endianness: .little)
        central.writeInteger(UInt16(0), endianness: .little)  // stored
        central.writeInteger(entry.time, endianness: .little)
        central.writeInteger(entry.date, endianness: .little)
        central.writeInteger(entry.crc.value, endianness: .little)
        central.writeInteger(entry.size, endianness: .little)
        central.writeInteger(entry.size, endianness: .little)
        central.writeInteger(UInt16(entry.name.count), endianness: .little)
        central.writeInteger(UInt16(0), endianness: .little)  // extra field
        central.writeInteger(UInt16(0), endianness: .little)  // comment
        central.writeInteger(UInt16(0), endianness: .little)  // disk
        central.writeInteger(UInt16(0), endianness: .little)  // internal attributes
        central.writeInteger(Self.externalAttributes, endianness: .little)
        central.writeInteger(entry.headerOffset, endianness: .little)
        central.writeBytes(entry.name)

        open = nil
        entryCount += 1
        offset += UInt64(descriptor.readableBytes)
        return descriptor
    }

    /// The central directory and its end record. Throws if an entry is still open, or the directory would pass
    /// 4 GiB. After it, nothing more.
    mutating func finish() throws -> ByteBuffer {
        guard !finished else { throw ZipStreamError("the archive is finished") }
        guard open == nil else { throw ZipStreamError("an entry is still open") }
        guard UInt64(central.readableBytes) <= Self.limit else {
            throw ZipStreamError("the central directory would pass 4 GiB")
        }
        var end = central
        end.writeInteger(UInt32(0x0605_4B50), endianness: .little)
        end.writeInteger(UInt16(0), endianness: .little)  // this disk
        end.writeInteger(UInt16(0), endianness: .little)  // the disk the directory starts on
        end.writeInteger(UInt16(entryCount), endianness: .little)
        end.writeInteger(UInt16(entryCount), endianness: .little)
        end.writeInteger(UInt32(central.readableBytes), endianness: .little)
        end.writeInteger(UInt32(offset), endianness: .little)
        end.writeInteger(UInt16(0), endianness: .little)  // no comment
        central = ByteBuffer()
        finished = true
        offset += UInt64(end.readableBytes)
        return end
    }

    /// MS-DOS time and date of `date` in UTC, to the even second below, clamped to 1980...2107.
    static func dosTimestamp(_ date: Date) -> (time: UInt16, date: UInt16) {
        let first = 315_532_800.0  // 1980-01-01 00:00:00
        let last = 4_354_819_198.0  // 2107-12-31 23:59:58
        let interval = date.timeIntervalSince1970
        let seconds = Int64(interval.isNaN ? first : min(max(interval.rounded(.down), first), last))
        let days = seconds / 86_400, second = seconds % 86_400
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let shifted = days + 719_468
        let era = shifted / 146_097, dayOfEra = shifted % 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let time = (second / 3600) << 11 | (second % 3600 / 60) << 5 | (second % 60 / 2)
        return (UInt16(time), UInt16((year - 1980) << 9 | month << 5 | day))
    }
}

/// Why the archive refused a call; the message names the rule.
struct ZipStreamError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
