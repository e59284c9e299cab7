#include "zab/preallocating_env.h"

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace zk::zab {

namespace {

constexpr uint64_t kPreallocLogBlockBytes = 32 * 1024;   // LevelDB's log::kBlockSize.
constexpr size_t kPreallocBufferBytes = 64 * 1024;       // Appends buffered before a pwrite.
constexpr size_t kPreallocZeroBytes = 64 * 1024;         // Zeros written per pwrite.
constexpr uint64_t kPreallocFirstExtension = 64 * 1024;  // A new log's first zeros.

leveldb::Status PreallocErrno(const std::string& context, int err) {
  return leveldb::Status::IOError(context, std::strerror(err));
}

leveldb::Status PreallocPwriteAll(int fd, const char* data, size_t size, uint64_t offset,
                                  const std::string& fname) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return PreallocErrno(fname, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return leveldb::Status::OK();
}

// Writes zeros over [begin, end) of fd and fdatasyncs them; with sync_dir, also fsyncs the
// directory holding fname (so a new log's directory entry is durable too).
leveldb::Status PreallocZeroAndSync(int fd, uint64_t begin, uint64_t end, bool sync_dir,
                                    const std::string& fname) {
  static const char kZeros[kPreallocZeroBytes] = {};
  for (uint64_t at = begin; at < end;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kPreallocZeroBytes, end - at));
    leveldb::Status s = PreallocPwriteAll(fd, kZeros, n, at, fname);
    if (!s.ok()) return s;
    at += n;
  }
  if (::fdatasync(fd) != 0) return PreallocErrno(fname, errno);
  if (sync_dir) {
    size_t slash = fname.rfind('/');
    std::string dir = slash == std::string::npos ? "." : fname.substr(0, slash);
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return PreallocErrno(dir, errno);
    int rc = ::fsync(dir_fd);
    int err = errno;
    ::close(dir_fd);
    if (rc != 0) return PreallocErrno(dir, err);
  }
  return leveldb::Status::OK();
}

// A write-ahead log file whose zeros are kept `chunk` bytes ahead of its data (see the header).
// Invariant: data_end_ <= prewritten_end_ unless fallback_ (then it is a plain growing file).
class PreallocatedLogFile final : public leveldb::WritableFile {
 public:
  PreallocatedLogFile(std::string fname, int fd, uint64_t chunk)
      : fname_(std::move(fname)), fd_(fd), chunk_(chunk) {
    MaybeStartExtension();
  }

  ~PreallocatedLogFile() override {
    if (fd_ >= 0) Close();  // LevelDB deletes a log without Close() when the database closes.
  }

  leveldb::Status Append(const leveldb::Slice& data) override {
    buffer_.append(data.data(), data.size());
    if (buffer_.size() >= kPreallocBufferBytes) return FlushBuffer();
    return leveldb::Status::OK();
  }

  leveldb::Status Flush() override { return FlushBuffer(); }

  leveldb::Status Sync() override {
    leveldb::Status s = FlushBuffer();
    if (!s.ok()) return s;
    if (::fdatasync(fd_) != 0) return PreallocErrno(fname_, errno);
    return leveldb::Status::OK();
  }

  leveldb::Status Close() override {
    if (fd_ < 0) return leveldb::Status::OK();
    leveldb::Status s = FlushBuffer();
    JoinExtension();
    if (::close(fd_) != 0 && s.ok()) s = PreallocErrno(fname_, errno);
    fd_ = -1;
    return s;
  }

 private:
  leveldb::Status FlushBuffer() {
    if (buffer_.empty()) return leveldb::Status::OK();
    const uint64_t end = data_end_ + buffer_.size();
    EnsurePrewrittenTo(end);
    leveldb::Status s = PreallocPwriteAll(fd_, buffer_.data(), buffer_.size(), data_end_, fname_);
    buffer_.clear();  // As LevelDB's own file: a failed write is not retried.
    if (!s.ok()) return s;
    data_end_ = end;
    MaybeStartExtension();
    return leveldb::Status::OK();
  }

  // Makes [0, end) prewritten before data is written there: waits for the running extension,
  // then zeros more in this thread if that was not enough. On failure the file falls back to
  // growing (no data is lost; appends only become slower).
  void EnsurePrewrittenTo(uint64_t end) {
    if (end <= prewritten_end_ || fallback_) return;
    JoinExtension();
    while (end > prewritten_end_ && !fallback_) {
      const uint64_t next = prewritten_end_ + NextExtensionBytes();
      leveldb::Status s =
          PreallocZeroAndSync(fd_, prewritten_end_, next, prewritten_end_ == 0, fname_);
      if (s.ok()) {
        prewritten_end_ = next;
      } else {
        FallBack(s);
      }
    }
  }

  // Starts zeroing the next chunk when less than a chunk of zeros is left ahead of the data.
  void MaybeStartExtension() {
    if (fallback_ || extender_.joinable() || prewritten_end_ - data_end_ >= chunk_) return;
    const uint64_t begin = prewritten_end_;
    const uint64_t end = begin + NextExtensionBytes();
    extension_end_ = end;
    try {
      extender_ = std::thread([this, begin, end] {
        extension_status_ = PreallocZeroAndSync(fd_, begin, end, begin == 0, fname_);
      });
    } catch (const std::system_error& e) {
      FallBack(leveldb::Status::IOError(fname_, e.what()));
    }
  }

  // How much the next extension zeros: as much as is prewritten already, from 64 KiB up to one
  // chunk. A new log's first write waits for its first zeros; small ones keep that wait short.
  uint64_t NextExtensionBytes() const {
    return std::clamp(prewritten_end_, std::min(kPreallocFirstExtension, chunk_), chunk_);
  }

  // Waits for the running extension, if any, and publishes its prewritten end.
  void JoinExtension() {
    if (!extender_.joinable()) return;
    extender_.join();
    if (extension_status_.ok()) {
      prewritten_end_ = extension_end_;
    } else {
      FallBack(extension_status_);
    }
  }

  void FallBack(const leveldb::Status& why) {
    spdlog::warn("zab log: cannot preallocate {} ({}); appending without preallocation", fname_,
                 why.ToString());
    fallback_ = true;
  }

  const std::string fname_;
  int fd_;
  const uint64_t chunk_;
  std::string buffer_;           // Appended, not yet written.
  uint64_t data_end_ = 0;        // Bytes of data written to the file.
  uint64_t prewritten_end_ = 0;  // [0, prewritten_end_) is data or synced zeros.
  bool fallback_ = false;
  std::thread extender_;  // Zeros [prewritten_end_, extension_end_) while joinable.
  uint64_t extension_end_ = 0;
  leveldb::Status extension_status_;  // Written by extender_, read after the join.
};

// A table file read with pread: no mapping, so what a read touches is not part of the process's
// resident set (LevelDB's default Env maps up to 1,000 table files, and a log replay at start-up
// then left every table it read resident: about 115 MiB after replaying a million creates).
class PreadTableFile final : public leveldb::RandomAccessFile {
 public:
  PreadTableFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PreadTableFile() override { ::close(fd_); }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = leveldb::Slice(scratch, 0);
        return PreallocErrno(name_, errno);
      }
      if (r == 0) break;  // end of file: a short read, as LevelDB's own files report it
      done += static_cast<size_t>(r);
    }
    *result = leveldb::Slice(scratch, done);
    return leveldb::Status::OK();
  }

 private:
  const std::string name_;
  const int fd_;
};

// A job of LevelDB's background thread, run under the thread's own name.
struct NamedBackgroundJob {
  void (*function)(void*);
  void* arg;
};

void RunNamedBackgroundJob(void* p) {
  std::unique_ptr<NamedBackgroundJob> job(static_cast<NamedBackgroundJob*>(p));
  pthread_setname_np(pthread_self(), PreallocatingEnv::kBackgroundThreadName);
  job->function(job->arg);
}

}  // namespace

void PreallocatingEnv::Schedule(void (*function)(void* arg), void* arg) {
  target()->Schedule(&RunNamedBackgroundJob, new NamedBackgroundJob{function, arg});
}

PreallocatingEnv::PreallocatingEnv(leveldb::Env* base, const Options& options)
    : leveldb::EnvWrapper(base),
      chunk_bytes_((options.chunk_bytes + kPreallocLogBlockBytes - 1) / kPreallocLogBlockBytes *
                   kPreallocLogBlockBytes) {}

bool PreallocatingEnv::IsWriteAheadLogName(const std::string& fname) {
  std::string_view name(fname);
  size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  constexpr std::string_view kSuffix = ".log";
  if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  name.remove_suffix(kSuffix.size());
  for (char c : name) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

leveldb::Status PreallocatingEnv::NewWritableFile(const std::string& fname,
                                                  leveldb::WritableFile** result) {
  if (chunk_bytes_ == 0 || !IsWriteAheadLogName(fname)) {
    return target()->NewWritableFile(fname, result);
  }
  *result = nullptr;
  int fd = ::open(fname.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return PreallocErrno(fname, errno);
  *result = new PreallocatedLogFile(fname, fd, chunk_bytes_);
  return leveldb::Status::OK();
}

leveldb::Status PreallocatingEnv::NewRandomAccessFile(const std::string& fname,
                                                      leveldb::RandomAccessFile** result) {
  *result = nullptr;
  const int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PreallocErrno(fname, errno);
  *result = new PreadTableFile(fname, fd);
  return leveldb::Status::OK();
}

leveldb::Status PreallocatingEnv::NewAppendableFile(const std::string& fname,
                                                    leveldb::WritableFile** result) {
  // Also with preallocation off: the log may have been preallocated by an earlier run. See the
  // header: appending at the physical end of a preallocated log is not safe.
  if (!IsWriteAheadLogName(fname)) return target()->NewAppendableFile(fname, result);
  *result = nullptr;
  return leveldb::Status::NotSupported(fname, "a preallocated log is not reused");
}

}  // namespace zk::zab
