// shelf-place-v3 (SawyerShelfPlaceEnvV3): grasp a block and place it on a
// shelf.
#include <algorithm>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kObjGeom, kShelfBody, kGoalSite };
constexpr double kTargetRadius = 0.05;
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};

// base_shelf_pos = goal_pos - [0, 0, 0, 0, 0, 0.3]; the shelf body goes there.
void EditModel(SawyerEnv& env, const double* vec) {
  const double shelf[3] = {vec[3] - 0.0, vec[4] - 0.0, vec[5] - 0.3};
  env.SetBodyPos(env.id(kShelfBody), shelf);
}

// The block's height is read after settling, before any forward; MetaWorld
// then runs mj_forward, and _target_pos = goal site pos + shelf body pos.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  const double obj_z = env.body_xpos(env.id(kObjBody))[2];
  s.obj_init_pos = {vec[0] - 0.0, vec[1] - 0.0, obj_z};
  env.Forward();
  const double* site = env.model()->site_pos + 3 * env.id(kGoalSite);
  const double* shelf = env.model()->body_pos + 3 * env.id(kShelfBody);
  s.target_pos = {site[0] + shelf[0], site[1] + shelf[1], site[2] + shelf[2]};
  SetObjXyz(env, s.obj_init_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  PoseWithMatrixQuat(env.body_xpos(env.id(kObjBody)), env.data()->geom_xmat + 9 * env.id(kObjGeom),
                     out);
}

// in_place after MetaWorld's penalties for a block below the shelf board: a
// Hamacher loss in front of the shelf (the value becomes an np.float64, so
// `strong` is set), zero behind it.
double ShelfInPlace(const double* obj, const double* target, double in_place, bool* strong) {
  constexpr double kFront = 3 * kTargetRadius;
  const bool below = 0.0 < obj[2] && obj[2] < 0.24;
  const bool across = target[0] - 0.15 < obj[0] && obj[0] < target[0] + 0.15;
  if (below && across && target[1] - kFront < obj[1] && obj[1] < target[1]) {
    const double z_scaling = (0.24 - obj[2]) / 0.24;
    const double y_scaling = (obj[1] - (target[1] - kFront)) / kFront;
    const double bound_loss = HamacherProduct(y_scaling, z_scaling);
    in_place = std::clamp(in_place - bound_loss, 0.0, 1.0);
    *strong = true;
  }
  if (below && across && obj[1] > target[1]) {
    in_place = 0.0;
    *strong = false;
  }
  return in_place;
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double* target = s.target_pos.data();
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double obj_to_target = Dist3(obj, target);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double in_place_margin = Dist3(s.obj_init_pos.data(), target);
  double in_place =
      Tolerance(obj_to_target, 0.0, kTargetRadius, in_place_margin, Sigmoid::kLongTail);
  const PyNum grasped = env.GripperCagingReward(action, obj, {0.02, 0.05, 0.01, 0.01, false});
  PyNum reward = HamacherProduct(grasped, PyNum{in_place, false});
  bool strong = false;
  in_place = ShelfInPlace(obj, target, in_place, &strong);
  if (tcp_to_obj < 0.025 && tcp_opened > 0 && obj[2] - 0.01 > s.obj_init_pos[2]) {
    const double bonus = 1.0 + 5.0 * in_place;
    // float32 + np.float64 promotes to float64; + Python float stays float32.
    reward = strong ? PyNum{reward.value + bonus, false} : AddPyFloat(reward, bonus);
  }
  double value = reward.value;
  if (obj_to_target < kTargetRadius) value = 10.0;
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obj[2] - 0.02 > s.obj_init_pos[2];
  return MakeResult(value, obj_to_target <= 0.07, tcp_to_obj <= 0.03, grasp_success, grasped.value,
                    in_place, obj_to_target);
}

}  // namespace

const TaskSpec& ShelfPlaceTask() {
  static const TaskSpec spec = {
      .name = "shelf-place-v3",
      .xml = "sawyer_shelf_placing.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {-0.1, 0.5, 0.019, -0.1, 0.8, 0.299},
      .vec_high = {0.1, 0.6, 0.021, 0.1, 0.9, 0.301},
      .goal_low = {-0.1, 0.8, 0.299},
      .goal_high = {0.1, 0.9, 0.301},
      .ids = {{{mjOBJ_BODY, "obj"},
               {mjOBJ_GEOM, "objGeom"},
               {mjOBJ_BODY, "shelf"},
               {mjOBJ_SITE, "goal"}}},
      .min_planar_gap = 0.1,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
