// Per-environment guide-step bookkeeping (ALGORITHM.md 3.1 and 3.4).
//
// Each environment step follows the order
//   need = BeginStep();  SetBehaviour(envs that need a choice, tasks);
//   Behaviour();  ...step the envs...;  EndStep(terminated | truncated);
// An env must choose a behaviour task at its episode start and every K steps
// after it, unless it is blocked. The blocked flag is latched at the first
// BeginStep of each episode from the latest SetBlocked value, so a new value
// takes effect at each env's next episode start. A window's choice lasts K
// steps or until the episode ends; until it is made (and whenever the env is
// blocked) the behaviour task is the env's own task. Boundary() marks every
// env whose step starts a K-step window, blocked or not: the replay's
// guide-decision flag, so that a blocked task's segments stay fresh.
#pragma once

#include <cstdint>
#include <vector>

namespace ctpg {

struct GuideSchedulerState {
  int64_t num_envs = 0;
  int64_t guide_step = 1;
  std::vector<int64_t> task_of_env;   // [N]
  std::vector<int64_t> episode_step;  // [N] steps taken in the current episode
  std::vector<int64_t> behaviour;     // [N]
  std::vector<uint8_t> blocked;       // [N] latched for the current episode
  std::vector<uint8_t> blocked_next;  // [N] value latched at the next episode start
  std::vector<uint8_t> choosing;      // [N] BeginStep asked this env to choose
  bool in_step = false;               // between BeginStep and EndStep
};

class GuideScheduler {
 public:
  // task_of_env empty: env i is task i. Tasks are indices in [0, num_tasks),
  // num_tasks = max(task_of_env) + 1.
  GuideScheduler(int64_t num_envs, int64_t guide_step, std::vector<int64_t> task_of_env);

  int64_t num_envs() const { return state_.num_envs; }
  int64_t num_tasks() const { return num_tasks_; }

  std::vector<uint8_t> BeginStep();
  void SetBehaviour(const std::vector<int64_t>& env_ids, const std::vector<int64_t>& tasks);
  const std::vector<int64_t>& Behaviour() const { return state_.behaviour; }
  std::vector<uint8_t> Boundary() const;
  void EndStep(const std::vector<uint8_t>& done);
  void SetBlocked(const std::vector<uint8_t>& blocked);

  const GuideSchedulerState& state() const { return state_; }
  void LoadState(const GuideSchedulerState& state);

 private:
  static int64_t CheckTasks(const GuideSchedulerState& s);
  GuideSchedulerState state_;
  int64_t num_tasks_;
};

}  // namespace ctpg
