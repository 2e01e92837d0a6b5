// OutputFile (O_TMPFILE in the target's directory, linked and renamed on Commit) and CheckOutputs.
#include "base/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>

#include "base/scoped_fd.h"

namespace ktriage {
namespace {

namespace fs = std::filesystem;

// An ostream over a descriptor that remembers the first failed write and its errno.
class FdBuf final : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd), buffer_(1 << 16) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (Drain() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return Drain(); }

 private:
  int Drain() {
    for (char* p = pbase(); p < pptr();) {
      const ssize_t put = ::write(fd_, p, static_cast<size_t>(pptr() - p));
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) {
        if (error_ == 0) error_ = put < 0 ? errno : EIO;
        setp(buffer_.data(), buffer_.data() + buffer_.size());
        return -1;
      }
      p += put;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0 ? 0 : -1;
  }
  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
};

std::optional<Identity> IdentityOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Identity{st.st_dev, st.st_ino};
}

bool IsSpecial(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace

struct OutputFile::Impl {
  ScopedFd fd;
  bool in_place = false;  // a special file: written directly
  std::unique_ptr<FdBuf> buf;
  std::unique_ptr<std::ostream> stream;
};

OutputFile::~OutputFile() = default;

Result<std::unique_ptr<OutputFile>> OutputFile::Create(const std::string& path) {
  std::unique_ptr<OutputFile> out(new OutputFile());
  out->path_ = path;
  out->impl_ = std::make_unique<Impl>();
  Impl& impl = *out->impl_;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Error{path + ": is a directory"};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    impl.in_place = true;
    impl.fd.Reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  } else {
    const fs::path dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
    impl.fd.Reset(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
    if (!impl.fd.valid() && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
      // No O_TMPFILE on this file system: a named temp file, removed at once if the run dies
      // before Commit cannot be promised; it is at least named after the output.
      std::string name = path + ".ktriage-XXXXXX";
      impl.fd.Reset(::mkstemp(name.data()));
      if (impl.fd.valid()) ::unlink(name.c_str());
    }
  }
  if (!impl.fd.valid()) return Error{path + ": cannot write: " + std::strerror(errno)};
  impl.buf = std::make_unique<FdBuf>(impl.fd.get());
  impl.stream = std::make_unique<std::ostream>(impl.buf.get());
  return out;
}

std::ostream& OutputFile::stream() { return *impl_->stream; }

Status OutputFile::Commit() {
  Impl& impl = *impl_;
  impl.stream->flush();
  if (impl.buf->error() != 0) return Error{path_ + ": error writing: " + std::strerror(impl.buf->error())};
  if (!*impl.stream) return Error{path_ + ": error writing"};
  if (impl.in_place) return Ok{};
  // Linked under a temp name first (linkat will not replace), then renamed over the path at once.
  std::mt19937_64 random(static_cast<uint64_t>(::getpid()) ^ reinterpret_cast<uintptr_t>(this));
  const std::string proc = "/proc/self/fd/" + std::to_string(impl.fd.get());
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::string temp = path_ + ".ktriage-" + std::to_string(random() % 1000000000);
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) continue;
      return Error{path_ + ": cannot put the file in place: " + std::strerror(errno)};
    }
    if (::rename(temp.c_str(), path_.c_str()) != 0) {
      const int err = errno;
      ::unlink(temp.c_str());
      return Error{path_ + ": cannot put the file in place: " + std::strerror(err)};
    }
    return Ok{};
  }
  return Error{path_ + ": cannot put the file in place: no free temp name"};
}

Status CheckOutputs(const std::vector<std::pair<std::string, std::string>>& outputs,
                    const std::vector<std::string>& inputs) {
  auto resolved = [](const std::string& p) {
    std::error_code ec;
    fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return ec ? fs::path(p) : r;
  };
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [what, path] = outputs[i];
    if (IsSpecial(path)) continue;
    const std::optional<Identity> id = IdentityOf(path);
    const fs::path where = resolved(path);
    for (const std::string& input : inputs) {
      const std::optional<Identity> in = IdentityOf(input);
      if (id && in && id->dev == in->dev && id->ino == in->ino) {
        return Error{what + " " + path + " is the input " + input + ": refusing to overwrite what is read"};
      }
    }
    for (size_t j = 0; j < i; ++j) {
      const auto& [other_what, other] = outputs[j];
      const std::optional<Identity> oid = IdentityOf(other);
      if ((id && oid && id->dev == oid->dev && id->ino == oid->ino) || where == resolved(other)) {
        return Error{what + " " + path + " is also " + other_what + " " + other + ": give them different files"};
      }
    }
  }
  return Ok{};
}

}  // namespace ktriage
