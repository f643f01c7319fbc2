// stick-push-v3 (SawyerStickPushEnvV3) and stick-pull-v3
// (SawyerStickPullEnvV3): grasp a stick and push or pull a thermos with it.
// Both use sawyer_stick_obj.xml: the stick's free joint is qpos[9:16], the
// thermos slides on two joints, qpos[16:18] (qvel[15:17]).
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kStickBody, kObjectBody, kObjGeom, kInsertionSite, kGoalSite, kStickEndSite };
constexpr double kStickZ = 0.02;  // init_config stick_init_pos[-1]

constexpr std::array<NamedId, kMaxTaskIds> kIds = {{{mjOBJ_BODY, "stick"},
                                                    {mjOBJ_BODY, "object"},
                                                    {mjOBJ_GEOM, "objGeom"},
                                                    {mjOBJ_SITE, "insertion"},
                                                    {mjOBJ_SITE, "goal"},
                                                    {mjOBJ_SITE, "stick_end"}}};

// MetaWorld's rejection loop: stick and goal at least 0.1 apart in the plane.
// The tasks' _set_obj_xyz: qpos[16:18] = slide, qvel[16:18] = 0 (numpy's
// slice ends at nv = 17, so only qvel[16]; qvel[15] keeps its value).
void SetThermosSlide(SawyerEnv& env, double x, double y) {
  mjData* d = env.data();
  const int nv = env.model()->nv;
  d->qpos[16] = x;
  d->qpos[17] = y;
  for (int i = 16; i < 18 && i < nv; ++i) d->qvel[i] = 0.0;
  env.Forward();
}

// Places the stick (_set_stick_xyz is _set_obj_xyz of the base class) and
// the thermos; returns the thermos body position (obj_init_pos).
Vec3 PlaceStickAndThermos(SawyerEnv& env, const double* stick, double slide_y) {
  SetObjXyz(env, stick);
  SetThermosSlide(env, 0.0, slide_y);
  const double* object = env.body_xpos(env.id(kObjectBody));
  return {object[0], object[1], object[2]};
}

// Stick pose (scipy quaternion of its body frame), then `thermos` with a
// zero quaternion.
void StickAndThermos(const SawyerEnv& env, const double* thermos, double* out) {
  const int stick = env.id(kStickBody);
  PoseWithMatrixQuat(env.body_xpos(stick), env.data()->xmat + 9 * stick, out);
  for (int i = 0; i < 3; ++i) out[7 + i] = thermos[i];
  for (int i = 0; i < 4; ++i) out[10 + i] = 0.0;
}

double Tol(double x, double upper, double margin) {
  return Tolerance(x, 0.0, upper, margin, Sigmoid::kLongTail);
}

// ---- stick-push-v3: TaskState.obj_init_pos holds stick_init_pos (the base
// caging reward reads it there); aux holds the thermos start (obj_init_pos).

void PushReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  const double insertion_z = env.site_xpos(env.id(kInsertionSite))[2];
  s.target_pos = {vec[3], vec[4], insertion_z};
  s.obj_init_pos = {vec[0], vec[1], kStickZ};
  s.aux = PlaceStickAndThermos(env, s.obj_init_pos.data(), 0.0);
  env.SetSitePos(env.id(kGoalSite), s.target_pos.data());
}

void PushObjects(const SawyerEnv& env, double* out) {
  const double* insertion = env.site_xpos(env.id(kInsertionSite));
  const double thermos[3] = {insertion[0] + 0.0, insertion[1] + 0.09, insertion[2] + 0.0};
  StickAndThermos(env, thermos, out);
}

RewardResult PushReward(SawyerEnv& env, const double* obs, const float* action) {
  constexpr double kRadius = 0.12;
  const TaskState& s = env.state();
  const double* stick_init = s.obj_init_pos.data();
  const double* target = s.target_pos.data();
  const double stick[3] = {obs[4] + 0.015, obs[5] + 0.0, obs[6] + 0.0};
  const double* container = obs + 11;
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_stick = Dist3(stick, tcp);
  const double stick_in_place =
      Tol(Dist3(stick, target), kRadius, Dist3(stick_init, target) - kRadius);
  const double container_to_target = Dist3(container, target);
  const double container_in_place =
      Tol(container_to_target, kRadius, Dist3(s.aux.data(), target) - kRadius);
  PyNum grasped = env.GripperCagingReward(action, stick, {0.04, 0.05, 0.01, 0.01, true});
  double reward = grasped.value;
  if (tcp_to_stick < 0.02 && tcp_opened > 0 && stick[2] - 0.01 > stick_init[2]) {
    grasped = PyNum{1.0, false};
    reward = 2.0 + 5.0 * stick_in_place + 3.0 * container_in_place;
    if (container_to_target <= kRadius) reward = 10.0;
  }
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obs[6] - 0.01 > stick_init[2];
  const bool success = grasp_success && Dist3(container, target) <= kRadius;
  return MakeResult(reward, success, tcp_to_stick <= 0.03, grasp_success, grasped.value,
                    stick_in_place, container_to_target);
}

// ---- stick-pull-v3: obj_init_pos is the thermos start (the base caging
// reward reads it, though the stick is grasped); aux holds stick_init_pos.

void PullReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.aux = {vec[0], vec[1], kStickZ};
  s.target_pos = {vec[3], vec[4], kStickZ};
  s.obj_init_pos = PlaceStickAndThermos(env, s.aux.data(), 0.09);
  env.SetSitePos(env.id(kGoalSite), s.target_pos.data());
}

void PullObjects(const SawyerEnv& env, double* out) {
  StickAndThermos(env, env.site_xpos(env.id(kInsertionSite)), out);
}

// _stick_is_inserted.
bool StickInserted(const double* handle, const double* end) {
  return end[0] >= handle[0] && std::abs(end[1] - handle[1]) <= 0.040 &&
         std::abs(end[2] - handle[2]) <= 0.060;
}

// norm((a - b) * [1, 1, 2]).
double ZScaledDist(const double* a, const double* b) {
  const double d[3] = {(a[0] - b[0]) * 1.0, (a[1] - b[1]) * 1.0, (a[2] - b[2]) * 2.0};
  return Norm3(d);
}

// The three in-place terms of stick-pull: stick at the thermos, stick at
// the target, thermos at the target.
struct PullPlaces {
  double stick, stick_2, container;
};

PullPlaces PullInPlace(const TaskState& s, const double* stick, const double* container) {
  constexpr double kRadius = 0.05;
  const double* target = s.target_pos.data();
  const double* stick_init = s.aux.data();
  const double* obj_init = s.obj_init_pos.data();
  const double container_init[3] = {obj_init[0] + 0.05, obj_init[1] + 0.0, obj_init[2] + 0.0};
  return {Tol(ZScaledDist(stick, container), kRadius, ZScaledDist(stick_init, container_init)),
          Tol(Dist3(stick, target), kRadius, Dist3(stick_init, target)),
          Tol(Dist3(container, target), kRadius, Dist3(obj_init, target))};
}

RewardResult PullReward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* stick = obs + 4;
  const double* handle = obs + 11;
  const double* end = env.site_xpos(env.id(kStickEndSite));
  const double container[3] = {handle[0] + 0.05, handle[1] + 0.0, handle[2] + 0.0};
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_stick = Dist3(stick, tcp);
  const double handle_to_target = Dist3(handle, s.target_pos.data());
  const PullPlaces in_place = PullInPlace(s, stick, container);
  PyNum grasped = env.GripperCagingReward(action, stick, {0.014, 0.05, 0.01, 0.01, true});
  const bool grasp = tcp_to_stick < 0.02 && tcp_opened > 0 && stick[2] - 0.01 > s.aux[2];
  if (grasp) grasped = PyNum{1.0, false};
  const PyNum combined = HamacherProduct(grasped, PyNum{in_place.stick, false});
  double reward = combined.value;
  const bool inserted = StickInserted(handle, end);
  if (grasp) {
    reward = 1.0 + combined.value + 5.0 * in_place.stick;
    if (inserted) {
      reward = 1.0 + combined.value + 5.0 + 2.0 * in_place.stick_2 + 1.0 * in_place.container;
      if (handle_to_target <= 0.12) reward = 10.0;
    }
  }
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && stick[2] - 0.02 > s.obj_init_pos[2];
  return MakeResult(reward, handle_to_target <= 0.12 && inserted, tcp_to_stick <= 0.03,
                    grasp_success, grasped.value, in_place.stick, handle_to_target);
}

}  // namespace

const TaskSpec& StickPushTask() {
  static const TaskSpec spec = {
      .name = "stick-push-v3",
      .xml = "sawyer_stick_obj.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 6,
      .vec_low = {-0.08, 0.58, 0.000, 0.399, 0.55, 0.1319},
      .vec_high = {-0.03, 0.62, 0.001, 0.401, 0.6, 0.1321},
      .goal_low = {0.399, 0.55, 0.1319},
      .goal_high = {0.401, 0.6, 0.1321},
      .ids = kIds,
      .min_planar_gap = 0.1,
      .reset = PushReset,
      .objects = PushObjects,
      .reward = PushReward,
  };
  return spec;
}

const TaskSpec& StickPullTask() {
  static const TaskSpec spec = {
      .name = "stick-pull-v3",
      .xml = "sawyer_stick_obj.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .hand_low = {-0.5, 0.35, 0.05},
      .vec_dim = 6,
      .vec_low = {-0.1, 0.55, 0.000, 0.35, 0.45, 0.0199},
      .vec_high = {0.0, 0.65, 0.001, 0.45, 0.55, 0.0201},
      .goal_low = {0.35, 0.45, 0.0199},
      .goal_high = {0.45, 0.55, 0.0201},
      .ids = kIds,
      .min_planar_gap = 0.1,
      .reset = PullReset,
      .objects = PullObjects,
      .reward = PullReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
