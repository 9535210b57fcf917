#include "capture/pcapng_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace netcorr::capture {

namespace {

constexpr uint32_t kShbType = 0x0A0D0D0A;
constexpr uint32_t kIdbType = 0x00000001;
constexpr uint32_t kEpbType = 0x00000006;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptComment = 1;
constexpr uint16_t kShbUserAppl = 4;
constexpr uint16_t kIfName = 2;
constexpr uint16_t kIfTsresol = 9;
constexpr size_t kFlushAt = 1 << 16;

// Blocks are assembled in host order; the SHB's byte-order magic tells readers which order
// that is. (x86-64 and arm64 Linux are little-endian; readers handle either.)
class BlockBuilder {
 public:
  explicit BlockBuilder(uint32_t type) {
    Put32(type);
    Put32(0);  // total length, patched in Finish()
  }
  void Put16(uint16_t v) { Raw(&v, sizeof(v)); }
  void Put32(uint32_t v) { Raw(&v, sizeof(v)); }
  void Put64(uint64_t v) { Raw(&v, sizeof(v)); }
  void Raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  void Pad() {
    while (bytes_.size() % 4 != 0) bytes_.push_back(0);
  }
  // An option: code, length, value padded to 32 bits. Values longer than the 16-bit length
  // field allows are cut.
  void Option(uint16_t code, const void* value, size_t len) {
    len = std::min<size_t>(len, 0xFFFC);
    Put16(code);
    Put16(static_cast<uint16_t>(len));
    Raw(value, len);
    Pad();
    has_options_ = true;
  }
  std::vector<uint8_t> Finish() {
    if (has_options_) {
      Put16(kOptEnd);
      Put16(0);
    }
    const uint32_t total = static_cast<uint32_t>(bytes_.size() + 4);
    Put32(total);
    std::copy_n(reinterpret_cast<const uint8_t*>(&total), 4, bytes_.begin() + 4);
    return std::move(bytes_);
  }

 private:
  std::vector<uint8_t> bytes_;
  bool has_options_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PcapngWriter>> PcapngWriter::Create(const std::string& path,
                                                                   uint32_t snaplen) {
  // Replace an old capture file, but never follow or replace anything that is not a regular
  // file: a symlink planted at the path must not redirect a root-owned write.
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing to write packets to ", path, ": it exists and is not a regular file",
          S_ISLNK(st.st_mode) ? " (a symbolic link)" : ""));
    }
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return absl::ErrnoToStatus(errno, absl::StrCat("unlink(", path, ")"));
    }
  }
  // O_EXCL|O_NOFOLLOW: if anything appeared at the path since lstat (a symlink race), fail.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot create packet file ", path));
  }
  std::unique_ptr<PcapngWriter> w(new PcapngWriter(fd, path, snaplen));

  BlockBuilder shb(kShbType);
  shb.Put32(kByteOrderMagic);
  shb.Put16(1);             // major
  shb.Put16(0);             // minor
  shb.Put64(~uint64_t{0});  // section length unknown
  static constexpr char kAppl[] = "netcorr";
  shb.Option(kShbUserAppl, kAppl, sizeof(kAppl) - 1);
  std::vector<uint8_t> block = shb.Finish();
  w->buffer_.insert(w->buffer_.end(), block.begin(), block.end());
  w->bytes_ += block.size();
  absl::Status s = w->Flush();
  if (!s.ok()) return s;
  return w;
}

PcapngWriter::PcapngWriter(int fd, std::string path, uint32_t snaplen)
    : fd_(fd), path_(std::move(path)), snaplen_(snaplen) {}

PcapngWriter::~PcapngWriter() { Close().IgnoreError(); }

uint32_t PcapngWriter::InterfaceId(int link_type, const std::string& name) {
  auto [it, inserted] =
      interfaces_.try_emplace({link_type, name}, static_cast<uint32_t>(interfaces_.size()));
  if (inserted) {
    BlockBuilder idb(kIdbType);
    idb.Put16(static_cast<uint16_t>(link_type));
    idb.Put16(0);
    idb.Put32(snaplen_);
    if (!name.empty()) idb.Option(kIfName, name.data(), name.size());
    const uint8_t nanoseconds = 9;  // if_tsresol: 10^-9
    idb.Option(kIfTsresol, &nanoseconds, 1);
    std::vector<uint8_t> block = idb.Finish();
    buffer_.insert(buffer_.end(), block.begin(), block.end());
    bytes_ += block.size();
  }
  return it->second;
}

absl::Status PcapngWriter::Write(const RawPacket& packet, std::string_view comment) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " is closed"));
  if (!sticky_error_.ok()) return sticky_error_;
  const uint32_t id = InterfaceId(packet.link_type, packet.interface);
  const size_t caplen =
      snaplen_ == 0 ? packet.bytes.size() : std::min<size_t>(packet.bytes.size(), snaplen_);
  const uint64_t ts = static_cast<uint64_t>(packet.ts);
  BlockBuilder epb(kEpbType);
  epb.Put32(id);
  epb.Put32(static_cast<uint32_t>(ts >> 32));
  epb.Put32(static_cast<uint32_t>(ts));
  epb.Put32(static_cast<uint32_t>(caplen));
  epb.Put32(std::max<uint32_t>(packet.wire_len, static_cast<uint32_t>(caplen)));
  epb.Raw(packet.bytes.data(), caplen);
  epb.Pad();
  if (!comment.empty()) epb.Option(kOptComment, comment.data(), comment.size());
  std::vector<uint8_t> block = epb.Finish();
  buffer_.insert(buffer_.end(), block.begin(), block.end());
  bytes_ += block.size();
  ++packets_written_;
  if (buffer_.size() >= kFlushAt) return Flush();
  return absl::OkStatus();
}

absl::Status PcapngWriter::WriteAll(const uint8_t* data, size_t len) {
  while (len > 0) {
    const ssize_t n = write(fd_, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("write(", path_, ")"));
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status PcapngWriter::Flush() {
  if (!sticky_error_.ok()) return sticky_error_;
  if (fd_ < 0 || buffer_.empty()) return absl::OkStatus();
  sticky_error_ = WriteAll(buffer_.data(), buffer_.size());
  buffer_.clear();
  return sticky_error_;
}

absl::Status PcapngWriter::Close() {
  if (fd_ < 0) return sticky_error_;
  // libpcap (tcpdump) refuses a section without any interface; a capture that saw no packet
  // still declares the one `any` would have used, so it reads as zero packets, not an error.
  if (interfaces_.empty()) InterfaceId(kLinkLinuxSll, "any");
  absl::Status s = Flush();
  if (close(fd_) != 0 && s.ok()) s = absl::ErrnoToStatus(errno, absl::StrCat("close(", path_, ")"));
  fd_ = -1;
  if (sticky_error_.ok()) sticky_error_ = s;
  return s;
}

}  // namespace netcorr::capture
