// WalkInputs: directories, files, archives (nested), kdump layouts; limits per top-level input.
#include "analyzer/triage/input_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "analyzer/vmcore/dump_file.h"
#include "analyzer/ingest/archive_reader.h"
#include "base/content_hash.h"
#include "analyzer/triage/host_from_path.h"
#include "analyzer/ingest/member_name.h"
#include "base/shared_bytes.h"
#include "base/temp_file.h"

namespace ktriage::triage {
namespace {

// An archive member's bytes: the part already read (the sniffed head, or a buffer that turned
// out too small), then the rest straight from the archive.
class MemberSource final : public InputSource {
 public:
  MemberSource(std::string prefix, ArchiveReader& reader, std::string name, std::string compression)
      : prefix_(std::move(prefix)), reader_(reader), name_(std::move(name)), compression_(std::move(compression)) {}
  Result<size_t> Read(char* buffer, size_t size) override {
    if (pos_ < prefix_.size()) {
      const size_t n = std::min(size, prefix_.size() - pos_);
      std::memcpy(buffer, prefix_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    return reader_.ReadData(buffer, size);
  }
  const std::string& name() const override { return name_; }
  std::string_view compression() const override { return compression_; }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  ArchiveReader& reader_;
  std::string name_;
  std::string compression_;
};

// Reads from `reader` until `out` holds `want` bytes or the member ends. Returns whether it ended.
Result<bool> ReadUpTo(ArchiveReader& reader, std::string& out, size_t want) {
  while (out.size() < want) {
    // Grown a step at a time: a member of a few KiB must not cost the whole buffer limit. Room
    // the caller reserved (the member's declared size) is filled first, without reallocating.
    const size_t old = out.size();
    out.resize(std::min(want, std::max(out.capacity(), old + std::max<size_t>(old, 64 * 1024))));
    Result<size_t> got = reader.ReadData(out.data() + old, out.size() - old);
    if (!got) {
      out.resize(old);
      return got.error();
    }
    out.resize(old + *got);
    if (*got == 0) return true;
  }
  return false;
}

std::string SystemMessage(const std::string& name, int err) { return name + ": " + std::strerror(err); }

// A head that starts with NUL bytes (a log truncated in place, then compressed or archived): the
// NULs are dropped, read past as they come (kMaxLeadingNuls at most, never held), until the text
// starts and kSniffBytes of it are in `head`, or the member ends. The line reader drops NUL runs
// anyway; only the byte count loses them. Returns whether the member ended.
Result<bool> ReadPastLeadingNuls(ArchiveReader& reader, std::string& head, bool ended) {
  uint64_t dropped = 0;
  for (;;) {
    const size_t text = head.find_first_not_of('\0');
    if (text == std::string::npos) {
      dropped += head.size();
      head.clear();
    } else {
      dropped += text;
      head.erase(0, text);
    }
    if (ended || (!head.empty() && head.size() >= kSniffBytes)) return ended;
    if (dropped >= kMaxLeadingNuls) {  // nothing but NULs: binary, as far as sniffing goes
      head.assign(1, '\0');
      return ended;
    }
    Result<bool> more = ReadUpTo(reader, head, head.empty() ? 64 * 1024 : kSniffBytes);
    if (!more) return more.error();
    ended = *more;
  }
}

class Walker {
 public:
  Walker(const WalkOptions& options, WalkSink& sink) : options_(options), sink_(sink) {}

  void WalkPath(const std::string& path) {
    if (Cancelled()) return;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      Fail(path, SystemMessage(path, errno));
      return;
    }
    if (NotAnInput(st)) {
      Skip(path, "ktriage's own outputs");
    } else if (S_ISDIR(st.st_mode)) {
      WalkDirectory(path, st);
    } else if (S_ISREG(st.st_mode)) {
      WalkFile(path, /*named=*/true, "");
    } else {
      // A FIFO, `<(...)`, a device: named on purpose, so read as a stream, as `analyze` reads it.
      WalkStream(path);
    }
  }

 private:
  bool NotAnInput(const struct stat& st) const {
    return std::find(options_.not_inputs.begin(), options_.not_inputs.end(), std::pair{st.st_dev, st.st_ino}) !=
           options_.not_inputs.end();
  }

  // A special file named on the command line: one log, read once by a worker. It has no content
  // hash (reading it to hash it would consume it), so the history never takes it as unchanged.
  void WalkStream(const std::string& path) {
    if (!Mine(path)) return;
    WorkItem begin;
    begin.kind = ItemKind::kUnitBegin;
    begin.name = path;
    begin.unit.path = path;
    sink_.Submit(std::move(begin));
    WorkItem item;
    item.kind = ItemKind::kLogFile;
    item.name = path;
    item.path = path;
    item.path_host = HostFromPath(path);
    sink_.Submit(std::move(item));
    WorkItem end;
    end.kind = ItemKind::kUnitEnd;
    end.name = path;
    end.unit.path = path;
    end.unit_complete = !Cancelled();
    sink_.Submit(std::move(end));
  }

  bool Cancelled() const { return options_.cancel != nullptr && options_.cancel->load(std::memory_order_relaxed); }

  bool Mine(std::string_view name) const { return InShard(name, options_.shard); }

  void Done(std::unique_ptr<ItemOutcome> outcome) {
    if (!Mine(outcome->name)) return;
    WorkItem item;
    item.kind = ItemKind::kDone;
    item.name = outcome->name;
    item.outcome = std::move(outcome);
    sink_.Submit(std::move(item));
  }

  void Skip(const std::string& name, const std::string& reason, KdumpPart kdump = {}) {
    auto o = std::make_unique<ItemOutcome>();
    o->status = OutcomeStatus::kSkipped;
    o->name = name;
    o->host = HostFromPath(name);
    o->reason = reason;
    o->kdump = std::move(kdump);
    Done(std::move(o));
  }

  void Fail(const std::string& name, const std::string& message, KdumpPart kdump = {}) {
    auto o = std::make_unique<ItemOutcome>();
    o->status = OutcomeStatus::kFailed;
    o->name = name;
    o->host = HostFromPath(name);
    o->errors.push_back(message);
    o->kdump = std::move(kdump);
    Done(std::move(o));
  }

  void WalkDirectory(const std::string& dir, const struct stat& st) {
    const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    if (std::find(ancestors_.begin(), ancestors_.end(), id) != ancestors_.end()) {
      Skip(dir, "symbolic link loops");
      return;
    }
    if (!visited_.insert(id).second) {
      Skip(dir, "directories reached twice through links");
      return;
    }
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      Fail(dir, SystemMessage(dir, errno));
      return;
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    const int read_errno = errno;
    ::closedir(d);
    if (read_errno != 0) Fail(dir, SystemMessage(dir, read_errno));
    std::sort(names.begin(), names.end());
    const std::set<std::string> present(names.begin(), names.end());

    // kdump: the dump and the dmesg beside it are one crash; the dmesg is read only when the
    // dump cannot be.
    std::map<std::string, std::string> fallback;  // dump name -> dmesg name
    std::set<std::string> paired;
    for (const std::string& n : names) {
      const KdumpPart part = KdumpPartOf(n);
      if (part.role != KdumpRole::kDump) continue;
      const std::string partner = n == "vmcore" ? "vmcore-dmesg.txt" : "dmesg." + n.substr(5);
      if (present.count(partner) != 0) {
        fallback[n] = partner;
        paired.insert(partner);
      }
    }

    ancestors_.push_back(id);
    const std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    for (const std::string& n : names) {
      if (Cancelled()) break;
      if (paired.count(n) != 0) continue;
      const std::string path = prefix + n;
      struct stat lst {};
      if (::lstat(path.c_str(), &lst) != 0) {
        Fail(path, SystemMessage(path, errno));
        continue;
      }
      struct stat target = lst;
      if (S_ISLNK(lst.st_mode) && ::stat(path.c_str(), &target) != 0) {
        Skip(path, errno == ELOOP ? "symbolic link loops" : "dangling symbolic links");
        continue;
      }
      if (NotAnInput(target)) {
        Skip(path, "ktriage's own outputs");
      } else if (S_ISDIR(target.st_mode)) {
        WalkDirectory(path, target);
      } else if (S_ISREG(target.st_mode)) {
        auto fb = fallback.find(n);
        WalkFile(path, /*named=*/false, fb == fallback.end() ? "" : prefix + fb->second);
      } else {
        Skip(path, "special files");
      }
    }
    ancestors_.pop_back();
  }

  // A regular file on disk: one top-level input (a unit for the history).
  void WalkFile(const std::string& path, bool named, const std::string& kdump_fallback) {
    ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
      Fail(path, SystemMessage(path, errno));
      return;
    }
    UnitInfo unit;
    unit.path = path;
    unit.size = static_cast<uint64_t>(st.st_size);
    unit.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    if (options_.hash_inputs) {
      Result<std::string> hash = HashFileContents(fd.get(), path, options_.cancel);
      if (!hash) {
        if (!Cancelled()) Fail(path, hash.error().message);
        return;
      }
      unit.hash = std::move(*hash);
      if (sink_.Unchanged(unit)) {
        WorkItem cached;
        cached.kind = ItemKind::kCachedUnit;
        cached.name = path;
        cached.unit = std::move(unit);
        sink_.Submit(std::move(cached));
        return;
      }
    }
    WorkItem begin;
    begin.kind = ItemKind::kUnitBegin;
    begin.name = path;
    begin.unit = unit;
    sink_.Submit(std::move(begin));

    ExpansionBudget budget;
    budget.limits = options_.limits;
    budget.input = path;
    WalkFileContents(fd.get(), path, st, named, kdump_fallback, budget);

    WorkItem end;
    end.kind = ItemKind::kUnitEnd;
    end.name = path;
    end.unit = std::move(unit);
    end.unit_complete = !Cancelled();
    sink_.Submit(std::move(end));
  }

  void WalkFileContents(int fd, const std::string& path, const struct stat& st, bool named,
                        const std::string& kdump_fallback, ExpansionBudget& budget) {
    std::string head(kSniffBytes, '\0');
    ssize_t got;
    do {
      got = ::pread(fd, head.data(), head.size(), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      Fail(path, SystemMessage(path, errno));
      return;
    }
    head.resize(static_cast<size_t>(got));
    // What content detection sees: the text after any leading NULs (`head` stays the file's first
    // bytes, for the container and dump signatures).
    std::string text_head = head;
    for (uint64_t at = head.size(); SkipLeadingNuls(text_head).empty() && !text_head.empty() && at < kMaxLeadingNuls;) {
      std::string more(64 * 1024, '\0');
      ssize_t n;
      do {
        n = ::pread(fd, more.data(), more.size(), static_cast<off_t>(at));
      } while (n < 0 && errno == EINTR);
      if (n <= 0) break;
      more.resize(static_cast<size_t>(n));
      at += static_cast<uint64_t>(n);
      const std::string_view text = SkipLeadingNuls(more);
      text_head = text.empty() ? std::string(1, '\0') : std::string(text.substr(0, kSniffBytes));
    }
    const std::optional<int64_t> mtime = static_cast<int64_t>(st.st_mtim.tv_sec);

    WorkItem item;
    item.name = path;
    item.path = path;
    item.path_host = HostFromPath(path);
    item.mtime = mtime;
    if (!kdump_fallback.empty() || (HasDumpMagic(head) && IsDump(fd))) {
      if (!Mine(path)) return;
      item.kind = ItemKind::kDumpFile;
      item.fallback_log = kdump_fallback;
      sink_.Submit(std::move(item));
      return;
    }
    const ContainerKind container = SniffContainer(head);
    if (container == ContainerKind::kNone) {
      if (!named && LooksBinary(text_head)) return Skip(path, "binary files");
      if (!named && !IsKernelLogName(path) && !LooksLikeKernelLog(text_head)) return Skip(path, "not kernel logs");
      if (!Mine(path)) return;
      item.kind = ItemKind::kLogFile;
      sink_.Submit(std::move(item));
      return;
    }
    // An archive or a compressed file: libarchive says which.
    FileByteSource source(fd, path);
    Result<std::unique_ptr<ArchiveReader>> reader = ArchiveReader::Open(source, path, 1, budget, options_.cancel);
    if (!reader) {
      // A log broken early in its compressed stream: the worker reads what there is (the lines
      // before the break still count) and reports the break. Anything else is a broken archive.
      if (!Cancelled() && (named || IsKernelLogName(path))) {
        if (!Mine(path)) return;
        item.kind = ItemKind::kLogFile;
        sink_.Submit(std::move(item));
        return;
      }
      return Fail(path, reader.error().message);
    }
    if (!(*reader)->raw()) {
      WalkArchive(**reader, budget);
      return;
    }
    if (!Mine(path)) return;  // a compressed single file is one leaf input
    // A compressed single file: sniff what it decompresses to.
    ArchiveMember member;
    Result<bool> has = (*reader)->Next(member);
    if (!has) return Fail(path, has.error().message);
    if (!*has) {
      item.kind = ItemKind::kLogFile;  // empty once decompressed: an empty log
      sink_.Submit(std::move(item));
      return;
    }
    std::string inner_head;
    Result<bool> ended = ReadUpTo(**reader, inner_head, kSniffBytes);
    if (ended) ended = ReadPastLeadingNuls(**reader, inner_head, *ended);
    if (!ended) {
      if (Cancelled()) return;
      item.kind = ItemKind::kLogFile;  // the worker reads what there is and reports the error
      sink_.Submit(std::move(item));
      return;
    }
    if (HasDumpMagic(inner_head)) {
      CopyDump(**reader, std::move(inner_head), path, mtime, {});
      return;
    }
    if (!named && LooksBinary(inner_head)) return Skip(path, "binary files");
    if (!named && !IsKernelLogName(path) && !LooksLikeKernelLog(inner_head)) return Skip(path, "not kernel logs");
    item.kind = ItemKind::kLogFile;  // decompressed again by the worker, in parallel with the walk
    sink_.Submit(std::move(item));
  }

  void WalkArchive(ArchiveReader& reader, ExpansionBudget& budget) {
    for (;;) {
      if (Cancelled() || budget.exhausted) return;
      ArchiveMember member;
      Result<bool> has = reader.Next(member);
      if (!has) {
        Fail(reader.name(), has.error().message);
        return;
      }
      if (!*has) return;
      if (!member.regular) {
        const Status skipped = reader.SkipData();
        if (skipped && member.not_regular != "directory") Skip(member.display, member.not_regular + "s");
        if (!Continue(reader, member, skipped)) return;
        continue;
      }
      const KdumpPart kdump = KdumpPartOf(member.display);
      if (!reader.raw()) {
        if (std::string why = UnsafeMemberReason(member.raw_name); !why.empty()) {
          Fail(member.display, member.display + ": " + why + "; not read", kdump);
          if (!Continue(reader, member, reader.SkipData())) return;
          continue;
        }
      }
      Result<SharedBytes> head = ReadHead(reader, member);
      bool ended = head && (head->bytes.empty() || (member.size && head->bytes.size() == *member.size));
      if (head && !ended && SkipLeadingNuls(head->bytes).size() < kSniffBytes) {
        // NUL padding before the text: read on (rare; the head is copied for it).
        std::string longer(head->bytes);
        Result<bool> more = ReadPastLeadingNuls(reader, longer, ended);
        if (more) {
          ended = *more;
          head = SharedBytes::Own(std::move(longer));
        } else {
          head = more.error();
        }
      }
      if (!head) {
        if (!Cancelled()) Fail(member.display, head.error().message, kdump);
        if (reader.stopped()) return;
        continue;
      }
      if (!WalkMember(reader, member, kdump, std::move(*head), ended, budget)) return;
    }
  }

  // The member's first bytes, at least kSniffBytes of them unless it is shorter. Usually its first
  // block from libarchive, shared rather than copied: for most members of a tar, all of it.
  Result<SharedBytes> ReadHead(ArchiveReader& reader, const ArchiveMember& member) {
    Result<SharedBytes> first = reader.ReadChunk(SIZE_MAX);
    if (!first) return first.error();
    const bool whole = member.size && first->bytes.size() == *member.size;
    if (first->owner && (whole || first->bytes.size() >= kSniffBytes)) return std::move(*first);
    std::string head(first->bytes);
    if (first->bytes.empty() || whole) return SharedBytes::Own(std::move(head));
    Result<bool> ended = ReadUpTo(reader, head, kSniffBytes);
    if (!ended) return ended.error();
    return SharedBytes::Own(std::move(head));
  }

  // After skipping a member: report a limit or a corrupt archive; false when the archive is done.
  bool Continue(ArchiveReader& reader, const ArchiveMember& member, const Status& skipped) {
    if (!skipped) {
      Fail(member.display, skipped.error().message);
      return false;
    }
    return !reader.stopped();
  }

  // One member whose first bytes are `head` (`ended`: that is all of it). False: stop the archive.
  bool WalkMember(ArchiveReader& reader, const ArchiveMember& member, const KdumpPart& kdump, SharedBytes shared_head,
                  bool ended, ExpansionBudget& budget) {
    const std::string compression = reader.raw() ? reader.compression() : "none";
    const std::string_view head = shared_head.bytes;
    if (SniffContainer(head) != ContainerKind::kNone) {
      MemberSource source(std::string(head), reader, member.display, compression);
      Result<std::unique_ptr<ArchiveReader>> inner =
          ArchiveReader::Open(source, member.display, reader.depth() + 1, budget, options_.cancel);
      if (!inner) {
        if (Cancelled()) return false;
        Fail(member.display, inner.error().message, kdump);
      } else {
        WalkArchive(**inner, budget);
      }
      if (reader.stopped() || Cancelled() || budget.exhausted) return false;
      return Continue(reader, member, reader.SkipData());
    }
    if (!Mine(member.display)) return Continue(reader, member, reader.SkipData());
    if (HasDumpMagic(head)) {
      CopyDump(reader, std::string(head), member.display, member.mtime, kdump);
      return !reader.stopped() && !Cancelled();
    }
    if (LooksBinary(head) || (!IsKernelLogName(member.display) && !LooksLikeKernelLog(head))) {
      const std::string reason = LooksBinary(head) ? "binary files" : "not kernel logs";
      // Skipped only once its bytes were passed over within the limits (else it is a failure).
      const Status skipped = reader.SkipData();
      if (skipped) Skip(member.display, reason, kdump);
      return Continue(reader, member, skipped);
    }
    WorkItem item;
    item.name = member.display;
    item.path_host = HostFromPath(member.display);
    item.mtime = member.mtime;
    item.kdump = kdump;
    item.compression = compression;
    // Small members go to a worker; a large one is analysed here as it streams. A member that was
    // whole in its first block goes as it is, without a copy on this thread, the one every worker
    // waits for.
    if (ended) {
      sink_.ReserveBuffer(head.size());
      item.kind = ItemKind::kLogBuffer;
      item.buffered_bytes = head.size();
      item.buffer = std::move(shared_head);
      sink_.Submit(std::move(item));
      return !reader.stopped();
    }
    std::string buffer;
    const size_t limit = static_cast<size_t>(options_.limits->member_buffer_bytes);
    // The declared size (+1 to see the end) in one allocation: growing by steps would copy the
    // member a few times.
    buffer.reserve(member.size && *member.size < limit ? static_cast<size_t>(*member.size) + 1 : head.size());
    buffer.append(head);
    shared_head = {};  // lets its block go back to the reader
    std::string read_error;
    {
      Result<bool> all = ReadUpTo(reader, buffer, limit + 1);
      if (!all) {
        if (Cancelled()) return false;
        read_error = all.error().message;
      } else {
        ended = *all;
      }
    }
    if (ended || !read_error.empty()) {
      // Only when much is unused: shrinking copies the whole member.
      if (buffer.capacity() - buffer.size() > buffer.size() / 4 + 4096) buffer.shrink_to_fit();
      sink_.ReserveBuffer(buffer.size());
      item.kind = ItemKind::kLogBuffer;
      item.buffered_bytes = buffer.size();
      item.buffer = SharedBytes::Own(std::move(buffer));
      item.read_error = std::move(read_error);
      sink_.Submit(std::move(item));
      return !reader.stopped();
    }
    MemberSource source(std::move(buffer), reader, member.display, compression);
    std::unique_ptr<ItemOutcome> outcome = sink_.AnalyzeInline(item, source);
    if (outcome->status == OutcomeStatus::kInterrupted) return false;
    item.kind = ItemKind::kDone;
    item.outcome = std::move(outcome);
    sink_.Submit(std::move(item));
    return !reader.stopped();
  }

  // A dump inside an archive or a compressed file, copied to an unlinked temp file.
  void CopyDump(ArchiveReader& reader, std::string head, const std::string& name, std::optional<int64_t> mtime,
                const KdumpPart& kdump) {
    Result<ScopedFd> temp = CreateUnlinkedTempFile(options_.temp_dir, "a crash dump read from an archive");
    if (!temp) return Fail(name, name + ": " + temp.error().message, kdump);
    if (auto s = WriteAll(temp->get(), head.data(), head.size()); !s) return Fail(name, name + ": " + s.error().message, kdump);
    std::string chunk(1 << 20, '\0');
    for (;;) {
      Result<size_t> got = reader.ReadData(chunk.data(), chunk.size());
      if (!got) {
        if (!Cancelled()) Fail(name, got.error().message, kdump);
        return;
      }
      if (*got == 0) break;
      if (auto s = WriteAll(temp->get(), chunk.data(), *got); !s) return Fail(name, name + ": " + s.error().message, kdump);
    }
    if (!IsDump(temp->get())) return Skip(name, "binary files", kdump);
    WorkItem item;
    item.kind = ItemKind::kDumpTemp;
    item.name = name;
    item.path_host = HostFromPath(name);
    item.mtime = mtime;
    item.kdump = kdump;
    item.temp = std::move(*temp);
    sink_.Submit(std::move(item));
  }

  const WalkOptions& options_;
  WalkSink& sink_;
  std::vector<std::pair<dev_t, ino_t>> ancestors_;
  std::set<std::pair<dev_t, ino_t>> visited_;
};

}  // namespace

void WalkInputs(const std::vector<std::string>& paths, const WalkOptions& options, WalkSink& sink) {
  Walker walker(options, sink);
  for (const std::string& path : paths) walker.WalkPath(path);
}

}  // namespace ktriage::triage
