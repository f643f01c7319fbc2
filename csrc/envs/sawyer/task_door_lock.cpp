// door-lock-v3 and door-unlock-v3 (SawyerDoorLockEnvV3 /
// SawyerDoorUnlockEnvV3): one door-lock model; press the lock down or push it
// sideways open.
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kDoorBody, kLockLink, kDoorLink, kLockSite };
constexpr double kLockLength = 0.1;
// The lock's hinge (unnamed in the XML); MetaWorld indexes qpos[9] / qvel[9].
constexpr int kLockAdr = 9;
constexpr double kUnlockedAngle = 1.5708;
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};
constexpr Vec3 kLockHandLow = {-0.5, 0.40, -0.15};
constexpr double kScale[3] = {0.25, 1.0, 0.5};

void EditModel(SawyerEnv& env, const double* vec) { env.SetBodyPos(env.id(kDoorBody), vec); }

// Lock: 5 more substeps after settling, no forward; the target is read from
// the (one substep stale) lock_link position.
void LockReset(SawyerEnv& env, const double* /*vec*/) {
  for (int k = 0; k < kFrameSkip; ++k) mj_step(env.model(), env.data());
  const double* lock = env.body_xpos(env.id(kLockLink));
  const double offset[3] = {0.0, -0.04, -0.1};
  TaskState& s = env.state();
  for (int i = 0; i < 3; ++i) {
    s.obj_init_pos[i] = lock[i];
    s.target_pos[i] = lock[i] + offset[i];
  }
}

// Unlock: _set_obj_xyz(1.5708) turns the lock open.
void UnlockReset(SawyerEnv& env, const double* /*vec*/) {
  SetJointAndForward(env, kLockAdr, kLockAdr, kUnlockedAngle);
  const double* lock = env.body_xpos(env.id(kLockLink));
  const double offset[3] = {0.1, -0.04, 0.0};
  TaskState& s = env.state();
  for (int i = 0; i < 3; ++i) {
    s.obj_init_pos[i] = lock[i];
    s.target_pos[i] = lock[i] + offset[i];
  }
}

void Objects(const SawyerEnv& env, double* out) {
  const double* pos = env.site_xpos(env.id(kLockSite));
  for (int i = 0; i < 3; ++i) out[i] = pos[i];
  const double* quat = env.data()->xquat + 4 * env.id(kDoorLink);
  for (int i = 0; i < 4; ++i) out[3 + i] = quat[i];
}

// |(a - b) * kScale| for 3-vectors.
double ScaledDist(const double* a, const double* b) {
  const double d[3] = {(a[0] - b[0]) * kScale[0], (a[1] - b[1]) * kScale[1],
                       (a[2] - b[2]) * kScale[2]};
  return Norm3(d);
}

// init_left_pad is a live view of the left pad, so the near-lock margin is
// the current pad-to-lock distance itself.
RewardResult LockReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const double* obj = obs + 4;
  const double tcp_to_obj = ScaledDist(obj, env.left_pad());
  const double obj_to_target = std::abs(env.state().target_pos[2] - obj[2]);
  const double tcp_opened = obs[3] > 0.0 ? obs[3] : 0.0;
  const double near_lock = Tolerance(tcp_to_obj, 0.0, 0.01, tcp_to_obj, Sigmoid::kLongTail);
  const double pressed = Tolerance(obj_to_target, 0.0, 0.005, kLockLength, Sigmoid::kLongTail);
  const double reward = 2.0 * HamacherProduct(tcp_opened, near_lock) + 8.0 * pressed;
  return MakeResult(reward, obj_to_target <= 0.02, tcp_to_obj <= 0.05, obs[3] > 0.0, near_lock,
                    pressed, obj_to_target);
}

// obj_init_pos is a live view of lock_link's position: the margin follows it.
RewardResult UnlockReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* lock = obs + 4;
  const double* lock_link = env.body_xpos(env.id(kLockLink));
  const double offset[3] = {0.0, 0.055, 0.07};
  double to_lock[3], to_lock_init[3];
  for (int i = 0; i < 3; ++i) {
    to_lock[i] = (obs[i] + offset[i] - lock[i]) * kScale[i];
    to_lock_init[i] = (s.init_tcp[i] + offset[i] - lock_link[i]) * kScale[i];
  }
  const double shoulder_to_lock = Norm3(to_lock);
  const double ready =
      Tolerance(shoulder_to_lock, 0.0, 0.02, Norm3(to_lock_init), Sigmoid::kLongTail);
  const double obj_to_target = std::abs(s.target_pos[0] - lock[0]);
  const double pushed = Tolerance(obj_to_target, 0.0, 0.005, kLockLength, Sigmoid::kLongTail);
  const double reward = 2.0 * ready + 8.0 * pushed;
  return MakeResult(reward, obj_to_target <= 0.02, shoulder_to_lock <= 0.05, obs[3] > 0.0, ready,
                    pushed, obj_to_target);
}

}  // namespace

const TaskSpec& DoorLockTask() {
  static const TaskSpec spec = {
      .name = "door-lock-v3",
      .xml = "sawyer_door_lock.xml",
      .hand_init = kHandInit,
      .hand_low = kLockHandLow,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.8, 0.15},
      .vec_high = {0.1, 0.85, 0.15},
      .goal_low = kLockHandLow,
      .goal_high = kHandHigh,
      .ids = {{{mjOBJ_BODY, "door"},
               {mjOBJ_BODY, "lock_link"},
               {mjOBJ_BODY, "door_link"},
               {mjOBJ_SITE, "lockStartLock"}}},
      // The arm touches a near door while settling (measured at y = 0.815).
      .settle_depends_on_vector = true,
      .edit_model = EditModel,
      .reset = LockReset,
      .objects = Objects,
      .reward = LockReward,
  };
  return spec;
}

const TaskSpec& DoorUnlockTask() {
  static const TaskSpec spec = {
      .name = "door-unlock-v3",
      .xml = "sawyer_door_lock.xml",
      .hand_init = kHandInit,
      .hand_low = kLockHandLow,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.8, 0.15},
      .vec_high = {0.1, 0.85, 0.15},
      .goal_low = {0.0, 0.64, 0.2100},
      .goal_high = {0.2, 0.7, 0.2111},
      .ids = {{{mjOBJ_BODY, "door"},
               {mjOBJ_BODY, "lock_link"},
               {mjOBJ_BODY, "door_link"},
               {mjOBJ_SITE, "lockStartUnlock"}}},
      // The arm touches a near door while settling (measured at y = 0.815).
      .settle_depends_on_vector = true,
      .edit_model = EditModel,
      .reset = UnlockReset,
      .objects = Objects,
      .reward = UnlockReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
