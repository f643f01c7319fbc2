// Python docstrings of ctpg.ReplayBuffer (shown by help()).
#pragma once

namespace ctpg::docs {

inline constexpr char kReplayBuffer[] =
    R"(Per-task replay with K-step guide segments and optional priorities.

ReplayBuffer(num_tasks, capacity_per_task, obs_dim, action_dim, guide_step=10,
             prioritized=False, alpha=0.6, beta=0.4, seed=0)

Every task has its own ring of capacity_per_task rows; add() writes one row per
task and, once a ring is full, overwrites that task's oldest row. Floats are
stored as float32.

Rows and next_obs
    A slot stores its observation once. The next_obs of a row is the next row's
    obs, except where the episode ended at that row: then the true final
    observation given with the row is kept in a side table. An episode ends at a
    row when it is terminated or truncated, or when the next row added to the
    same task does not start from this row's next_obs (its obs differs bitwise):
    such an unflagged break is detected on that next add, the earlier row keeps
    terminated=False, truncated=False, and its own next_obs is kept. Every row
    reads back exactly as it was added.

sample(batch_per_task)
    Uniform (or prioritized) over every stored row of the task, including the
    newest row of a still-running episode, whose next_obs is the one given with
    it. Rows come grouped by task in task order, exactly batch_per_task[t] rows
    for task t.

sample_segments(batch_per_task)
    K-step windows (K = guide_step) starting at rows added with guide_begin=True,
    drawn uniformly among the eligible starts of the task (also in prioritized
    mode). A window runs for K steps or up to and including the row that ends
    its episode, whichever comes first; a start is eligible once all of those
    rows are stored and none is overwritten. valid[b, k] is True for the steps
    of the start's episode; later steps hold zeros (finite filler). Guide
    learners must mask every per-step term (returns, losses) with valid.

Prioritized mode (prioritized=True)
    One sum-tree per task. New rows get the largest priority given to that task
    so far (1.0 at first). A row i of task t is drawn with probability
    P(i) = p_i^alpha / sum_j p_j^alpha over the task's rows. Its weight is
    (N_t * P(i))^-beta, N_t = the task's stored rows, normalised by the largest
    such weight within that task's share of the batch (so every task has a row
    with weight 1). update_priorities(task, index, priority) sets p from the
    task/index columns of a batch; beta is a settable property. Without
    priorities weight is 1.0.

Memory (nbytes)
    Per slot 4 * (obs_dim + action_dim + 2) bytes (obs, action, reward, flags
    and behaviour), 0.16 bytes of guide-start index, plus 4 * (obs_dim + 1)
    bytes per stored episode end and, in prioritized mode, a 16-byte sum-tree
    leaf and node. In uniform mode this is at most 0.6x of the layout that
    stores float32 obs, next_obs, action and reward, bool terminated,
    truncated, guide_begin and int16 behaviour in every slot, for any
    guide_step, whenever 0.8*D - 1.6*A - 2.8 >= 6*(D + 1) / L (D = obs_dim,
    A = action_dim, L = mean episode length): MetaWorld (D=39, A=4),
    HalfCheetah (D=17, A=6, L >= 100) and D=8, A=2 with L >= 200 are covered.

save(path) / ReplayBuffer.load(path) write and read one file with a format
version and a checksum; the sampling RNG is restored too. Every method checks
its arguments (ValueError naming the argument) and sampling releases the GIL.
)";

inline constexpr char kAdd[] = R"(Add one row per task.

obs [T, D], action [T, A], reward [T], next_obs [T, D] (float, stored as
float32, finite), terminated [T] and truncated [T] (bool). behaviour [T] int
(default: each task's own index) is the task whose policy acted; guide_begin
[T] bool (default False) marks rows where a guide decision was made
(GuideScheduler.begin_step()).)";

inline constexpr char kSample[] =
    R"(Sample transitions; batch_per_task is an int or an int array [T].

Returns a dict: obs [B, D], action [B, A], reward [B], next_obs [B, D] float32;
terminated [B], truncated [B] bool; task [B], index [B] (slot) int64;
weight [B] float32 (importance weights, normalised per task; 1.0 unless
prioritized). Rows are grouped by task in task order.)";

inline constexpr char kSampleSegments[] = R"(Sample K-step windows starting at guide_begin rows.

Returns a dict: obs [B, K, D], action [B, K, A], reward [B, K], next_obs
[B, K, D] float32; terminated [B, K], truncated [B, K], valid [B, K] bool;
behaviour [B], task [B], index [B] (slot of the start) int64. Steps with
valid=False lie past the end of the start's episode and hold zeros: mask with
valid.)";

}  // namespace ctpg::docs
