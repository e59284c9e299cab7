// PreallocatingEnv: a leveldb::Env that keeps the blocks of LevelDB's write-ahead log files
// (`<digits>.log`) written ahead of the data, so that an append followed by fdatasync overwrites
// blocks that are already allocated and initialised: the sync writes the data and no file-system
// metadata (no block allocation, no new file size, no unwritten-extent conversion), which makes a
// small durable append markedly cheaper (tests/tools/fsync_limit measures the difference).
// Table files are read with pread, never mapped (NewRandomAccessFile): LevelDB's default Env
// maps up to 1,000 of them, and every page a log replay or a DIFF read touched then stayed in the
// process's resident set; read with pread, they are cached by LevelDB's bounded block cache and
// the kernel's page cache. Each open table holds a descriptor: the log store bounds how many
// (max_open_files). LevelDB's background work (memtable flushes, compactions) runs on the
// wrapped Env's background thread as before, under the name kBackgroundThreadName: started by
// the disk thread, it would otherwise inherit that thread's name, and top and perf would show two
// zk-disk threads. Every other file, and every other Env call, goes to the wrapped Env unchanged.
//
// How a log file is kept ahead: the file holds LevelDB's data in [0, data end), then zeros up to
// the "prewritten end", a multiple of LevelDB's 32 KiB log block. Whenever fewer than
// `chunk_bytes` of zeros remain ahead of the data end, a background thread (one per file, at most
// one at a time) writes the next zeros past the prewritten end and fdatasyncs them; only then
// does the prewritten end move. Extensions double from 64 KiB up to `chunk_bytes` (a new log's
// first write waits for its first zeros, so those are few). Data is written with pwrite at the data
// end, never with O_APPEND, and only below the prewritten end: a write that would cross it first
// waits for the running extension (or extends in the caller). So zeros are only ever written where
// no data was or will be written before they are synced, and data never lands past a region that is
// still being zeroed.
//
// Why recovery is safe: LevelDB's log reader (db/log_reader.cc) treats a physical record header
// of type 0 and length 0, which is what a zero region reads as, as padding from a preallocating
// writer: it skips the rest of that 32 KiB block without reporting anything, and keeps reading
// block by block until the end of the file. A crash leaves the synced data, possibly some
// unsynced data after it, then zeros (possibly a partial chunk, if the crash hit an extension).
// Every synced record therefore precedes the first zero block and is read back; a record torn by
// the crash is dropped as LevelDB drops a torn tail (a record spanning blocks whose continuation
// reads as zeros is reported as "error in middle of record", which the log store, with
// paranoid_checks=false, ignores: that record was never synced).
//
// The file length LevelDB sees: GetFileSize of a log reports the physical size, zeros included.
// LevelDB asks for it only to reuse an old log (Options::reuse_logs), appending at that length
// through NewAppendableFile; a log whose physical size is not block-aligned (a crash inside an
// extension) would then put new records behind zeros in the same block, which the reader would
// skip. So NewAppendableFile refuses logs (NotSupported, also with preallocation off), and LevelDB
// falls back to what it does without reuse_logs: it replays the old log into a table and starts a
// new log file. With paranoid_checks=true, the report of a record torn at the zeros would fail
// DB::Open where a torn tail at the end of a growing file is silently dropped: use
// paranoid_checks=false with this Env.
//
// Thread-safety: as leveldb::Env. Each log file is used by one LevelDB writer at a time (LevelDB's
// WritableFile contract); its extension thread touches only the zero region it owns.
// Ownership: borrows the wrapped Env, which must outlive this one; this Env must outlive every
// database opened with it. A log file joins its extension thread when closed or destroyed.
#pragma once

#include <leveldb/env.h>

#include <cstdint>
#include <string>

namespace zk::zab {

class PreallocatingEnv final : public leveldb::EnvWrapper {
 public:
  struct Options {
    // Zeros kept written ahead of a log's data; rounded up to a multiple of 32 KiB (LevelDB's
    // log block). 0 turns preallocation off (logs are written through the wrapped Env).
    uint64_t chunk_bytes = 1 << 20;
  };

  PreallocatingEnv(leveldb::Env* base, const Options& options);

  leveldb::Status NewWritableFile(const std::string& fname,
                                  leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& fname,
                                    leveldb::WritableFile** result) override;
  leveldb::Status NewRandomAccessFile(const std::string& fname,
                                      leveldb::RandomAccessFile** result) override;

  // Runs `function(arg)` on the wrapped Env's background thread, named kBackgroundThreadName.
  void Schedule(void (*function)(void* arg), void* arg) override;

  // True for the name of a LevelDB write-ahead log: a path whose last component is one or more
  // digits followed by ".log".
  static bool IsWriteAheadLogName(const std::string& fname);

  static constexpr char kBackgroundThreadName[] = "zk-leveldb";

 private:
  const uint64_t chunk_bytes_;
};

}  // namespace zk::zab
