// ReplayBuffer::Save / Load. One little-endian binary file:
//   magic "CTPGRPLY", uint32 format version,
//   config (5 x int64, uint8 prioritized, double alpha, double beta, uint64 seed),
//   sampler RNG state (4 x uint64),
//   per task: int64 size, int64 head, double max priority, pending next_obs [D],
//             slot records [size, D + A + 2] (see task_ring.h), int64 episode
//             ends E, final obs [E, D]
//             (age order), priority leaves double [size] when prioritized,
//   uint64 checksum of every byte before it.
// The file is written to "<path>.tmp" and renamed, so a crash never leaves a
// half-written file under `path`.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <tuple>

#include "common/file_error.h"
#include "replay/replay_buffer.h"

namespace ctpg {
namespace {

constexpr char kMagic[8] = {'C', 'T', 'P', 'G', 'R', 'P', 'L', 'Y'};
constexpr uint32_t kFormatVersion = 1;

uint64_t Checksum(const char* data, size_t n) {
  uint64_t h = 0x6A09E667F3BCC908ULL ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
  }
  for (; i < n; ++i) {
    h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001B3ULL;
    h ^= h >> 29;
  }
  return h;
}

class Writer {
 public:
  template <typename T>
  void Put(const T& v) {
    Bytes(&v, sizeof(T));
  }
  template <typename T>
  void Array(const T* p, int64_t n) {
    Bytes(p, sizeof(T) * n);
  }
  void Bytes(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
};

}  // namespace

class ReplayFileReader {
 public:
  ReplayFileReader(const std::string& path, const char* data, size_t n)
      : path_(path), p_(data), end_(data + n) {}
  template <typename T>
  T Get() {
    T v;
    Bytes(&v, sizeof(T));
    return v;
  }
  template <typename T>
  void Array(T* out, int64_t n) {
    if (n < 0 || static_cast<uint64_t>(n) > (end_ - p_) / sizeof(T)) Fail("ends before its data");
    Bytes(out, sizeof(T) * n);
  }
  // Steps over n values of T without reading them (the layout check).
  template <typename T>
  void Skip(int64_t n) {
    if (n < 0 || static_cast<uint64_t>(n) > (end_ - p_) / sizeof(T)) Fail("ends before its data");
    p_ += sizeof(T) * n;
  }
  void Bytes(void* out, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Fail("ends before its data");
    std::memcpy(out, p_, n);
    p_ += n;
  }
  bool AtEnd() const { return p_ == end_; }
  [[noreturn]] void Fail(const std::string& why) const {
    throw std::invalid_argument("replay file " + path_ + " is corrupted: " + why);
  }

 private:
  std::string path_;
  const char* p_;
  const char* end_;
};

namespace {

void CheckFiniteRecord(const ReplayFileReader& r, int64_t t, const char* what, const float* x,
                       int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]))
      r.Fail("a " + std::string(what) + " of task " + std::to_string(t) + " holds " +
             std::to_string(x[i]));
  }
}

// Walks the per-task sections of the body that follows the config and the RNG
// state, reading only sizes, so that a bad header or size fails before any
// storage is allocated.
void CheckLayout(ReplayFileReader r, const ReplayConfig& c) {
  const int64_t stride = c.obs_dim + c.action_dim + 2;
  for (int64_t t = 0; t < c.num_tasks; ++t) {
    const int64_t n = r.Get<int64_t>();
    r.Get<int64_t>();  // head, checked when loading
    r.Get<double>();   // max priority, likewise
    if (n < 0 || n > c.capacity_per_task) {
      r.Fail("task " + std::to_string(t) + " has size " + std::to_string(n) + " for capacity " +
             std::to_string(c.capacity_per_task));
    }
    r.Skip<float>(c.obs_dim);
    r.Skip<float>(n * stride);
    const int64_t ends = r.Get<int64_t>();
    if (ends < 0 || ends > n) r.Fail("episode-end table of task " + std::to_string(t));
    r.Skip<float>(ends * c.obs_dim);
    if (c.prioritized) r.Skip<double>(n);
  }
  if (!r.AtEnd()) r.Fail("unexpected bytes after the last task");
}

// Throws when the config's rings alone would need more than this machine's
// memory: a header that passes every range check can still ask for petabytes.
void CheckStorageFits(const std::string& path, const ReplayConfig& c) {
  const double bytes = static_cast<double>(c.num_tasks) * static_cast<double>(c.capacity_per_task) *
                       static_cast<double>(c.obs_dim + c.action_dim + 2) * sizeof(float);
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const double memory = pages > 0 && page > 0 ? static_cast<double>(pages) * page : 0.0;
  if (memory > 0.0 && bytes > memory) {
    throw std::invalid_argument(
        "replay file " + path + " asks for " + std::to_string(bytes / 1e9) + " GB of storage (" +
        std::to_string(c.num_tasks) + " tasks x capacity_per_task " +
        std::to_string(c.capacity_per_task) + "), more than this machine's " +
        std::to_string(memory / 1e9) + " GB of memory");
  }
}

}  // namespace

void ReplayBuffer::Save(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  SaveLocked(path);
}

void ReplayBuffer::SaveLocked(const std::string& path) const {
  Writer w;
  w.Bytes(kMagic, sizeof(kMagic));
  w.Put(kFormatVersion);
  const ReplayConfig& c = config_;
  for (int64_t v : {c.num_tasks, c.capacity_per_task, c.obs_dim, c.action_dim, c.guide_step})
    w.Put(v);
  w.Put(static_cast<uint8_t>(c.prioritized));
  w.Put(c.alpha);
  w.Put(c.beta);
  w.Put(c.seed);
  for (uint64_t s : rng_.state()) w.Put(s);
  for (int64_t t = 0; t < c.num_tasks; ++t) {
    const TaskRing& ring = rings_[t];
    const int64_t n = ring.size();
    w.Put(n);
    w.Put(ring.head());
    w.Put(c.prioritized ? max_priority_[t] : 1.0);
    w.Array(ring.pending(), c.obs_dim);
    w.Array(ring.records(), n * ring.stride());
    const SlotQueue& ends = ring.episode_ends();
    w.Put(ends.size());
    for (int64_t k = 0; k < ends.size(); ++k) w.Array(ends.PayloadAt(k), c.obs_dim);
    if (c.prioritized) {
      for (int64_t s = 0; s < n; ++s) w.Put(trees_[t].Get(s));
    }
  }
  std::string& buf = w.buffer();
  const uint64_t sum = Checksum(buf.data(), buf.size());
  w.Put(sum);
  const std::string tmp = path + ".tmp";
  // On any failure the temporary file is removed: nothing stray is left behind.
  const auto fail = [&tmp](const std::string& what, const std::string& file) {
    const int error = errno != 0 ? errno : EIO;
    std::remove(tmp.c_str());
    throw FileError(what, error, file);
  };
  {
    errno = 0;
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail("cannot write the replay file", tmp);
    f.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    f.close();
    if (!f) fail("writing the replay file failed", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    fail("cannot move " + tmp + " to the replay file", path);
  }
}

void ReplayBuffer::LoadTaskLocked(int64_t t, ReplayFileReader& r) {
  const int64_t C = config_.capacity_per_task, D = config_.obs_dim;
  TaskRing& ring = rings_[t];
  const int64_t n = r.Get<int64_t>();
  const int64_t head = r.Get<int64_t>();
  if (n < 0 || n > C || head < 0 || head >= C || (n < C && head != n % C)) {
    r.Fail("task " + std::to_string(t) + " has size " + std::to_string(n) + " and head " +
           std::to_string(head) + " for capacity " + std::to_string(C));
  }
  ring.set_size_and_head(n, head);
  const double max_priority = r.Get<double>();
  if (!std::isfinite(max_priority) || max_priority < 0.0) r.Fail("bad max priority");
  r.Array(ring.mutable_pending(), D);
  r.Array(ring.mutable_records(), n * ring.stride());
  CheckFiniteRecord(r, t, "pending next_obs", ring.mutable_pending(), D);
  for (int64_t s = 0; s < n; ++s) {
    // obs, action and reward lead each record, as add() checked them.
    CheckFiniteRecord(r, t, "record", ring.Obs(s), config_.obs_dim + config_.action_dim + 1);
  }
  int64_t ends = 0;
  for (int64_t s = 0; s < n; ++s) {
    const uint8_t f = ring.Flags(s);
    const bool done = f & (kTerminated | kTruncated);
    if (f > 15 || (done && !(f & kEpisodeEnd))) r.Fail("bad flags in task " + std::to_string(t));
    const int b = ring.Behaviour(s);
    if (b < 0 || b >= config_.num_tasks) r.Fail("bad behaviour in task " + std::to_string(t));
    ends += (f & kEpisodeEnd) ? 1 : 0;
  }
  if (r.Get<int64_t>() != ends) r.Fail("episode-end table of task " + std::to_string(t));
  std::vector<float> final_obs(ends * D);
  r.Array(final_obs.data(), ends * D);
  CheckFiniteRecord(r, t, "final obs", final_obs.data(), ends * D);
  ring.RebuildQueues(final_obs);
  if (!config_.prioritized) return;
  max_priority_[t] = max_priority;
  std::vector<double>& nodes = trees_[t].leaves_storage();
  r.Array(nodes.data() + C, n);
  const double max_leaf = kMaxTotalPriority / static_cast<double>(C);
  if (!(std::pow(max_priority, config_.alpha) <= max_leaf)) r.Fail("bad max priority");
  for (int64_t s = 0; s < n; ++s) {
    if (!(nodes[C + s] >= 0.0 && nodes[C + s] <= max_leaf)) r.Fail("bad priority");
  }
  trees_[t].Rebuild();
}

std::unique_ptr<ReplayBuffer> ReplayBuffer::Load(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw FileError("cannot load the replay file", EISDIR, path);
  }
  errno = 0;
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileError("cannot open the replay file", errno != 0 ? errno : EIO, path);
  const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw FileError("cannot read the replay file", errno != 0 ? errno : EIO, path);
  const size_t header = sizeof(kMagic) + sizeof(uint32_t);
  if (std::memcmp(data.data(), kMagic, std::min(data.size(), sizeof(kMagic))) != 0) {
    throw std::invalid_argument("replay file " + path + " is not a ctpg replay file (bad magic)");
  }
  if (data.size() < header + sizeof(uint64_t)) {
    throw std::invalid_argument("replay file " + path + " is corrupted or truncated: only " +
                                std::to_string(data.size()) + " bytes");
  }
  uint32_t version;
  std::memcpy(&version, data.data() + 8, sizeof(version));
  if (version != kFormatVersion) {
    throw std::invalid_argument("replay file " + path + " has format version " +
                                std::to_string(version) + "; this build reads version " +
                                std::to_string(kFormatVersion));
  }
  const size_t body = data.size() - sizeof(uint64_t);
  uint64_t stored;
  std::memcpy(&stored, data.data() + body, sizeof(stored));
  if (stored != Checksum(data.data(), body)) {
    throw std::invalid_argument("replay file " + path +
                                " is corrupted or truncated (checksum mismatch)");
  }
  ReplayFileReader r(path, data.data() + header, body - header);
  ReplayConfig c;
  for (int64_t* v :
       {&c.num_tasks, &c.capacity_per_task, &c.obs_dim, &c.action_dim, &c.guide_step}) {
    *v = r.Get<int64_t>();
  }
  c.prioritized = r.Get<uint8_t>() != 0;
  c.alpha = r.Get<double>();
  c.beta = r.Get<double>();
  c.seed = r.Get<uint64_t>();
  try {
    CheckConfig(c);
  } catch (const std::invalid_argument& e) {
    r.Fail(std::string("bad config: ") + e.what());
  }
  ReplayFileReader body_after_rng = r;
  body_after_rng.Skip<uint64_t>(std::tuple_size<Rng::State>::value);
  CheckLayout(body_after_rng, c);
  CheckStorageFits(path, c);
  auto buffer = std::make_unique<ReplayBuffer>(c);
  Rng::State state;
  for (uint64_t& s : state) s = r.Get<uint64_t>();
  buffer->rng_.set_state(state);
  std::lock_guard<std::mutex> lock(buffer->mutex_);
  for (int64_t t = 0; t < c.num_tasks; ++t) buffer->LoadTaskLocked(t, r);
  if (!r.AtEnd()) r.Fail("unexpected bytes after the last task");
  return buffer;
}

}  // namespace ctpg
