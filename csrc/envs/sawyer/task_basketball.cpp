// basketball-v3 (SawyerBasketballEnvV3): grasp a ball and dunk it into a hoop.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kBallBody, kBasketBody, kGoalSite };
constexpr double kTargetRadius = 0.08;
constexpr double kScale[3] = {1.0, 1.0, 2.0};
// init_config's obj_init_pos is float32: the ball's initial z is float32(0.03).
constexpr double kBallZ = static_cast<double>(0.03f);
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};

void EditModel(SawyerEnv& env, const double* vec) { env.SetBodyPos(env.id(kBasketBody), vec + 3); }

// _target_pos aliases the goal site's xpos, read after _set_obj_xyz's forward.
// MetaWorld then writes it into the site's model pos, which has no effect:
// the site sits at its body's origin (MuJoCo's sameframe), so its xpos is
// the hoop's.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], kBallZ};
  SetObjXyz(env, s.obj_init_pos.data());
  const double* goal = env.site_xpos(env.id(kGoalSite));
  s.target_pos = {goal[0], goal[1], goal[2]};
}

void Objects(const SawyerEnv& env, double* out) { BodyPosXquat(env, env.id(kBallBody), out); }

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double* obj_init = s.obj_init_pos.data();
  const double* goal = env.site_xpos(env.id(kGoalSite));
  const double target[3] = {goal[0], goal[1], 0.3};  // slightly above the hoop
  const double target_to_obj = ScaledDist3(obj, target, kScale);
  const double target_to_obj_init = ScaledDist3(obj_init, target, kScale);
  const double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, target_to_obj_init, Sigmoid::kLongTail);
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  PyNum grasped = env.GripperCagingReward(action, obj, {0.025, 0.06, 0.01, 0.005, true});
  const bool lifted = tcp_to_obj < 0.035 && tcp_opened > 0 && obj[2] - 0.01 > obj_init[2];
  if (lifted) grasped = PyNum{1.0, false};
  PyNum reward = HamacherProduct(grasped, PyNum{in_place, false});
  if (lifted) reward = AddPyFloat(reward, 1.0 + 5.0 * in_place);
  double value = reward.value;
  if (target_to_obj < kTargetRadius) value = 10.0;
  const bool grasp_success = tcp_opened > 0 && obj[2] - 0.03 > obj_init[2];
  return MakeResult(value, target_to_obj <= kTargetRadius, tcp_to_obj <= 0.05, grasp_success,
                    grasped.value, in_place, target_to_obj);
}

}  // namespace

const TaskSpec& BasketballTask() {
  static const TaskSpec spec = {
      .name = "basketball-v3",
      .xml = "sawyer_basketball.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {-0.1, 0.6, 0.0299, -0.1, 0.85, 0.0},
      .vec_high = {0.1, 0.7, 0.0301, 0.1, 0.9 + 1e-7, 0.0},
      .goal_low = {-0.1 + 0.0, 0.85 + -0.083, 0.0 + 0.2499},
      .goal_high = {0.1 + 0.0, (0.9 + 1e-7) + -0.083, 0.0 + 0.2501},
      .ids = {{{mjOBJ_BODY, "bsktball"}, {mjOBJ_BODY, "basket_goal"}, {mjOBJ_SITE, "goal"}}},
      .min_planar_gap = 0.15,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
