// door-close-v3 (SawyerDoorCloseEnvV3): push an open hinged door shut.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kDoorBody, kGoalSite, kHandleGeom, kDoorJoint };
constexpr double kGoalOffset[3] = {0.2, -0.2, 0.0};
constexpr double kTargetRadius = 0.05;
constexpr double kOpenAngle = -1.5708;
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {-0.5, static_cast<double>(0.6f), static_cast<double>(0.2f)};

void Target(const double* vec, double* out) {
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + kGoalOffset[i];
}

void EditModel(SawyerEnv& env, const double* vec) {
  PlaceBodyAndGoal(env, env.id(kDoorBody), env.id(kGoalSite), vec, kGoalOffset);
}

// MetaWorld opens the door (_set_obj_xyz(-1.5708)) after the model edits.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  Target(vec, s.target_pos.data());
  const int joint = env.id(kDoorJoint);
  SetJointAndForward(env, env.model()->jnt_qposadr[joint], env.model()->jnt_dofadr[joint],
                     kOpenAngle);
}

void Objects(const SawyerEnv& env, double* out) {
  const int geom = env.id(kHandleGeom);
  PoseWithMatrixQuat(env.geom_xpos(geom), env.data()->geom_xmat + 9 * geom, out);
}

// The v2 reward: the hand near the goal and the handle in place (gaussian).
RewardResult Reward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double* target = s.target_pos.data();
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_target = Dist3(tcp, target);
  const double obj_to_target = Dist3(obj, target);
  const double in_place_margin = Dist3(s.obj_init_pos.data(), target);
  const double in_place =
      Tolerance(obj_to_target, 0.0, kTargetRadius, in_place_margin, Sigmoid::kGaussian);
  const double hand_margin = Dist3(kHandInit.data(), obj) + 0.1;
  const double hand_in_place =
      Tolerance(tcp_to_target, 0.0, 0.25 * kTargetRadius, hand_margin, Sigmoid::kGaussian);
  double reward = 3.0 * hand_in_place + 6.0 * in_place;
  if (obj_to_target < kTargetRadius) reward = 10.0;
  return MakeResult(reward, obj_to_target <= 0.08, 0.0, 1.0, 1.0, hand_in_place, obj_to_target);
}

}  // namespace

const TaskSpec& DoorCloseTask() {
  static const TaskSpec spec = {
      .name = "door-close-v3",
      .xml = "sawyer_door_pull.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {0.0, 0.85, 0.15},
      .vec_high = {0.1, 0.95, 0.15},
      .goal_low = {0.2, 0.65, 0.1499},
      .goal_high = {0.3, 0.75, 0.1501},
      .ids = {{{mjOBJ_BODY, "door"},
               {mjOBJ_SITE, "goal"},
               {mjOBJ_GEOM, "handle"},
               {mjOBJ_JOINT, "doorjoint"}}},
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
