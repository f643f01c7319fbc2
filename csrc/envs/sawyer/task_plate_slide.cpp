// plate-slide-v3, plate-slide-side-v3, plate-slide-back-v3 and
// plate-slide-back-side-v3 (SawyerPlateSlideEnvV3, SawyerPlateSlideSideEnvV3,
// SawyerPlateSlideBackEnvV3, SawyerPlateSlideBackSideEnvV3): slide a puck on
// two slide joints (qpos[9:11]) into a goal net. Two XMLs (front and sideways
// net) and two rewards (a Hamacher product for plate-slide, a staged reward
// for the other three).
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kPuckGeom, kNetBody, kGoalSite };
constexpr double kTargetRadius = 0.05;
constexpr double kSuccessRadius = 0.07;
// The Python sources keep hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};
constexpr std::array<NamedId, kMaxTaskIds> kIds = {
    {{mjOBJ_GEOM, "puck"}, {mjOBJ_BODY, "puck_goal"}, {mjOBJ_SITE, "goal"}}};

// The plate tasks' _set_obj_xyz: qpos[9:11] = xy, qvel kept, mj_forward.
void SetPuckXy(SawyerEnv& env, double x, double y) {
  mjData* d = env.data();
  d->qpos[9] = x;
  d->qpos[10] = y;
  env.Forward();
}

// obj_init_pos = rand_vec[:3], _target_pos = rand_vec[3:]; the puck's slide
// joints go to `x`, `y`; then the goal site moves to the target.
void ResetPuck(SawyerEnv& env, const double* vec, double x, double y) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  s.target_pos = {vec[3], vec[4], vec[5]};
  SetPuckXy(env, x, y);
  env.SetSitePos(env.id(kGoalSite), s.target_pos.data());
}

void NoEdit(SawyerEnv& /*env*/, const double* /*vec*/) {}

// plate-slide moves the net (model.body("puck_goal").pos) to the target.
void FrontEditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kNetBody), vec + 3);
}

// plate-slide-back-side moves the net to obj_init_pos.
void BackSideEditModel(SawyerEnv& env, const double* vec) { env.SetBodyPos(env.id(kNetBody), vec); }

// plate-slide-side / -back write data.body("puck_goal").xpos, which the next
// mj_forward overwrites: no effect.
void PuckAtOrigin(SawyerEnv& env, const double* vec) { ResetPuck(env, vec, 0.0, 0.0); }
void BackReset(SawyerEnv& env, const double* vec) { ResetPuck(env, vec, 0.0, 0.15); }
void BackSideReset(SawyerEnv& env, const double* vec) { ResetPuck(env, vec, -0.15, 0.0); }

void Objects(const SawyerEnv& env, double* out) {
  const int puck = env.id(kPuckGeom);
  PoseWithMatrixQuat(env.geom_xpos(puck), env.data()->geom_xmat + 9 * puck, out);
}

// Distances shared by both rewards.
struct PlateDistances {
  double obj_to_target, in_place_margin, tcp_to_obj, grasp_margin;
  double tcp[3];
};

PlateDistances Distances(const SawyerEnv& env, const double* obs) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  PlateDistances p;
  env.TcpCenter(p.tcp);
  p.obj_to_target = Dist3(obj, s.target_pos.data());
  p.in_place_margin = Dist3(s.obj_init_pos.data(), s.target_pos.data());
  p.tcp_to_obj = Dist3(p.tcp, obj);
  p.grasp_margin = Dist3(s.init_tcp.data(), s.obj_init_pos.data());
  return p;
}

RewardResult Result(double reward, const PlateDistances& p, double grasped, double in_place) {
  return MakeResult(reward, p.obj_to_target <= kSuccessRadius, p.tcp_to_obj <= 0.03, 0.0, grasped,
                    in_place, p.obj_to_target);
}

// SawyerPlateSlideEnvV3.compute_reward: 8 * hamacher(grasped, in_place).
RewardResult FrontReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const PlateDistances p = Distances(env, obs);
  const double in_place =
      Tolerance(p.obj_to_target, 0.0, kTargetRadius, p.in_place_margin, Sigmoid::kLongTail);
  const double grasped =
      Tolerance(p.tcp_to_obj, 0.0, kTargetRadius, p.grasp_margin, Sigmoid::kLongTail);
  double reward = 8.0 * HamacherProduct(grasped, in_place);
  if (p.obj_to_target < kTargetRadius) reward = 10.0;
  return Result(reward, p, grasped, in_place);
}

// The side / back / back-side compute_reward: margins less the radius,
// 1.5 * grasped, or 2 + 7 * in_place with the tcp low and near the puck.
RewardResult StagedReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const PlateDistances p = Distances(env, obs);
  const double in_place = Tolerance(p.obj_to_target, 0.0, kTargetRadius,
                                    p.in_place_margin - kTargetRadius, Sigmoid::kLongTail);
  const double grasped = Tolerance(p.tcp_to_obj, 0.0, kTargetRadius, p.grasp_margin - kTargetRadius,
                                   Sigmoid::kLongTail);
  double reward = 1.5 * grasped;
  if (p.tcp[2] <= 0.03 && p.tcp_to_obj < 0.07) reward = 2.0 + 7.0 * in_place;
  if (p.obj_to_target < kTargetRadius) reward = 10.0;
  return Result(reward, p, grasped, in_place);
}

}  // namespace

const TaskSpec& PlateSlideTask() {
  static const TaskSpec spec = {
      .name = "plate-slide-v3",
      .xml = "sawyer_plate_slide.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {0.0, 0.6, 0.0, -0.1, 0.85, 0.0},
      .vec_high = {0.0, 0.6, 0.0, 0.1, 0.9, 0.0},
      .goal_low = {-0.1, 0.85, 0.0},
      .goal_high = {0.1, 0.9, 0.0},
      .ids = kIds,
      .edit_model = FrontEditModel,
      .reset = PuckAtOrigin,
      .objects = Objects,
      .reward = FrontReward,
  };
  return spec;
}

const TaskSpec& PlateSlideSideTask() {
  static const TaskSpec spec = {
      .name = "plate-slide-side-v3",
      .xml = "sawyer_plate_slide_sideway.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {0.0, 0.6, 0.0, -0.3, 0.54, 0.0},
      .vec_high = {0.0, 0.6, 0.0, -0.25, 0.66, 0.0},
      .goal_low = {-0.3, 0.54, 0.0},
      .goal_high = {-0.25, 0.66, 0.0},
      .ids = kIds,
      .edit_model = NoEdit,
      .reset = PuckAtOrigin,
      .objects = Objects,
      .reward = StagedReward,
  };
  return spec;
}

const TaskSpec& PlateSlideBackTask() {
  static const TaskSpec spec = {
      .name = "plate-slide-back-v3",
      .xml = "sawyer_plate_slide.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {0.0, 0.85, 0.0, -0.1, 0.6, 0.015},
      .vec_high = {0.0, 0.85, 0.0, 0.1, 0.6, 0.015},
      .goal_low = {-0.1, 0.6, 0.015},
      .goal_high = {0.1, 0.6, 0.015},
      .ids = kIds,
      .edit_model = NoEdit,
      .reset = BackReset,
      .objects = Objects,
      .reward = StagedReward,
  };
  return spec;
}

const TaskSpec& PlateSlideBackSideTask() {
  static const TaskSpec spec = {
      .name = "plate-slide-back-side-v3",
      .xml = "sawyer_plate_slide_sideway.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {-0.25, 0.6, 0.0, -0.05, 0.6, 0.015},
      .vec_high = {-0.25, 0.6, 0.0, 0.15, 0.6, 0.015},
      .goal_low = {-0.05, 0.6, 0.015},
      .goal_high = {0.15, 0.6, 0.015},
      .ids = kIds,
      .edit_model = BackSideEditModel,
      .reset = BackSideReset,
      .objects = Objects,
      .reward = StagedReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
