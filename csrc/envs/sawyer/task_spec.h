// What one MetaWorld v3 task adds to the Sawyer arm: a table entry of named
// ranges and constants (written with designated initializers, so that a reader
// sees `.hand_init = ...`; fields with a default may be left out) plus a few
// small functions (model edits and reset from the random vector, object pose
// for the observation, reward and success).
#pragma once

#include <mujoco/mujoco.h>

#include <array>

namespace ctpg {
namespace sawyer {

class SawyerEnv;

constexpr int kMaxVecDim = 6;
constexpr int kMaxTaskIds = 10;

using Vec3 = std::array<double, 3>;

// SawyerXYZEnv's default hand_low / hand_high: the mocap bounds of every MT10
// task, and the goal space of the button, drawer and window tasks.
constexpr Vec3 kHandLow = {-0.5, 0.40, 0.05};
constexpr Vec3 kHandHigh = {0.5, 1.0, 0.5};

// Per-episode quantities a task computes at reset and reads in its reward.
struct TaskState {
  Vec3 target_pos{};    // MetaWorld's _target_pos (the observed goal)
  Vec3 obj_init_pos{};  // obj_init_pos
  Vec3 init_tcp{};      // tcp center after hand settling
  Vec3 aux{};           // peg head / window handle position at reset
  double scalar = 0.0;  // button: initial object-to-target distance
  // Further per-episode values of tasks that need more than the above; each
  // task file names the entries it uses.
  std::array<double, 8> extra{};
};

// MetaWorld's info values besides "success", in the order of its info dict
// (SawyerEnv::info_keys()); boolean entries are 0.0 or 1.0.
enum InfoField {
  kNearObject,
  kGraspSuccess,
  kGraspReward,
  kInPlaceReward,
  kObjToTarget,
  kUnscaledReward,
  kNumInfoFields,
};

struct RewardResult {
  double reward = 0.0;
  bool success = false;
  // Indexed by InfoField; kUnscaledReward is filled in from `reward`.
  std::array<double, kNumInfoFields> info{};
};

// A RewardResult from the reward, the success flag and MetaWorld's info
// values near_object, grasp_success, grasp_reward, in_place_reward and
// obj_to_target (unscaled_reward is the reward itself in every v3 task).
inline RewardResult MakeResult(double reward, bool success, double near_object,
                               double grasp_success, double grasp_reward, double in_place,
                               double obj_to_target) {
  return {
      reward, success, {near_object, grasp_success, grasp_reward, in_place, obj_to_target, reward}};
}

// A named MuJoCo object the task reads; resolved once per task model.
struct NamedId {
  mjtObj type = mjOBJ_UNKNOWN;
  const char* name = nullptr;
};

struct TaskSpec {
  const char* name = nullptr;
  const char* xml = nullptr;  // file under <metaworld assets>/sawyer_xyz/
  Vec3 hand_init{};
  Vec3 hand_low = kHandLow;  // mocap bounds
  Vec3 hand_high = kHandHigh;
  int vec_dim = 0;
  std::array<double, kMaxVecDim> vec_low{};
  std::array<double, kMaxVecDim> vec_high{};
  Vec3 goal_low{};  // observation bounds of the goal block
  Vec3 goal_high{};
  std::array<NamedId, kMaxTaskIds> ids{};
  // True when the model edits can change the hand-settling trajectory, so it
  // must be rerun at every reset; false lets all resets start from one state
  // cached one substep before the end of settling (the last substep runs with
  // the env's edited model). False for every MT10 task (parity-tested).
  bool settle_depends_on_vector = false;
  // MetaWorld's common rejection loop: redraw while the object (vec[0:2]) and
  // the goal (vec[3:5]) are closer than this in the plane (0: no such loop).
  double min_planar_gap = 0.0;
  // Any other rejection loop condition: false means redraw (nullptr: none).
  bool (*accept)(const double* vec) = nullptr;
  // Model edits from the vector (body_pos / site_pos), before settling
  // (nullptr: the task edits nothing before settling).
  void (*edit_model)(SawyerEnv& env, const double* vec) = nullptr;
  // The rest of reset_model after settling (state edits, TaskState).
  void (*reset)(SawyerEnv& env, const double* vec) = nullptr;
  // Object positions and quaternions: 7 or 14 values of the 14-wide block.
  void (*objects)(const SawyerEnv& env, double* out) = nullptr;
  // Reward, success and info from the clipped observation and the raw action;
  // may update TaskState (values MetaWorld fixes at the first step).
  RewardResult (*reward)(SawyerEnv& env, const double* obs, const float* action) = nullptr;
};

}  // namespace sawyer
}  // namespace ctpg
