#include "envs/sawyer/sawyer_base.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace ctpg {
namespace sawyer {
namespace {

// SawyerXYZEnv._HAND_SPACE: bounds of the hand blocks of the observation.
constexpr double kHandObsLow[3] = {-0.525, 0.348, -0.0525};
constexpr double kHandObsHigh[3] = {0.525, 1.025, 0.7};
constexpr double kMocapQuat[4] = {1.0, 0.0, 1.0, 0.0};

int RequireId(const mjModel* m, mjtObj type, const char* name, const TaskSpec& spec) {
  const int id = mj_name2id(m, type, name);
  if (id < 0) {
    throw std::runtime_error(std::string("metaworld asset ") + spec.xml + " lacks object '" + name +
                             "' needed by " + spec.name);
  }
  return id;
}

// The elements of `type` in `spec` for which `drop` is true.
template <typename Drop>
std::vector<mjsElement*> Select(mjSpec* spec, mjtObj type, Drop drop) {
  std::vector<mjsElement*> out;
  for (mjsElement* e = mjs_firstElement(spec, type); e; e = mjs_nextElement(spec, e)) {
    if (drop(e)) out.push_back(e);
  }
  return out;
}

// Whether the compiler counts `geom` into its body's mass and inertia.
bool AddsInertia(const mjSpec* spec, const mjsGeom* geom) {
  const mjsCompiler& c = spec->compiler;
  if (geom->group < c.inertiagrouprange[0] || geom->group > c.inertiagrouprange[1]) return false;
  if (c.inertiafromgeom == mjINERTIAFROMGEOM_TRUE) return true;
  if (c.inertiafromgeom == mjINERTIAFROMGEOM_FALSE) return false;
  return !mjs_getParent(geom->element)->explicitinertial;
}

// Removes what only a renderer reads: unnamed geoms that neither collide nor
// count into an inertia, the meshes no remaining geom uses, cameras and
// lights. The dynamics are untouched (masses, inertias and the collision
// geoms compile to the same values, so trajectories stay bit-identical;
// tests/parity checks them against MetaWorld), while a step skips the pose
// updates of ~25 geoms, 7 cameras and 3 lights, and the model keeps a quarter
// of its bounding-volume nodes.
// (mjString is read through mjs_getString: the library's std::string need not
// share this module's ABI.)
void StripRenderOnly(mjSpec* spec) {
  std::vector<mjsElement*> drop = Select(spec, mjOBJ_GEOM, [spec](mjsElement* e) {
    const mjsGeom* g = mjs_asGeom(e);
    return g->contype == 0 && g->conaffinity == 0 && *mjs_getString(g->name) == '\0' &&
           !AddsInertia(spec, g);
  });
  for (mjsElement* e : drop) mjs_delete(e);
  std::vector<std::string> used;
  for (mjsElement* e = mjs_firstElement(spec, mjOBJ_GEOM); e; e = mjs_nextElement(spec, e)) {
    used.emplace_back(mjs_getString(mjs_asGeom(e)->meshname));
  }
  drop = Select(spec, mjOBJ_MESH, [&](mjsElement* e) {
    return std::find(used.begin(), used.end(), mjs_getString(mjs_asMesh(e)->name)) == used.end();
  });
  for (mjsElement* e : Select(spec, mjOBJ_CAMERA, [](mjsElement*) { return true; })) {
    drop.push_back(e);
  }
  for (mjsElement* e : Select(spec, mjOBJ_LIGHT, [](mjsElement*) { return true; })) {
    drop.push_back(e);
  }
  for (mjsElement* e : drop) mjs_delete(e);
}

UniqueModel LoadModel(const std::string& path) {
  char error[1024] = {0};
  UniqueSpec spec(mj_parseXML(path.c_str(), nullptr, error, sizeof(error)));
  if (!spec) {
    throw std::invalid_argument("metaworld_asset_dir: cannot load " + path + ": " + error);
  }
  StripRenderOnly(spec.get());
  UniqueModel model(mj_compile(spec.get(), nullptr));
  if (!model) {
    throw std::invalid_argument("metaworld_asset_dir: cannot compile " + path + ": " +
                                mjs_getError(spec.get()));
  }
  return model;
}

// SawyerMocapBase.reset_mocap_welds.
void ResetMocapWelds(mjModel* m) {
  static constexpr mjtNum kWeld[11] = {0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 5};
  if (m->nmocap <= 0) return;
  for (int i = 0; i < m->neq; ++i) {
    if (m->eq_type[i] == mjEQ_WELD) std::copy(kWeld, kWeld + 11, m->eq_data + mjNEQDATA * i);
  }
}

// Whether MetaWorld's reset keeps `vec` (its rejection loops would redraw it).
bool Accepts(const TaskSpec& spec, const double* vec) {
  if (spec.min_planar_gap > 0.0 && PlanarGap(vec) < spec.min_planar_gap) return false;
  return spec.accept == nullptr || spec.accept(vec);
}

constexpr int kStateSpec = mjSTATE_INTEGRATION;

// SawyerXYZEnv._reset_hand from mj_resetData: 50 x (mocap to hand_init_pos,
// ctrl [-1, 1], frame_skip mj_step); the first `num_substeps` substeps.
void ResetAndSettle(const mjModel* m, mjData* d, const TaskSpec& spec, int mocap,
                    int num_substeps) {
  mj_resetData(m, d);
  for (int step = 0; step < num_substeps; ++step) {
    if (step % kFrameSkip == 0) {
      std::copy(spec.hand_init.begin(), spec.hand_init.end(), d->mocap_pos + 3 * mocap);
      std::copy(kMocapQuat, kMocapQuat + 4, d->mocap_quat + 4 * mocap);
      d->ctrl[0] = -1.0;
      d->ctrl[1] = 1.0;
    }
    mj_step(m, d);
  }
}

// Whether a step may start from the position stage of the mj_forward that
// ended the previous step (MjStepAfterForward): true when changing the mocap
// target and ctrl can move nothing but the mocap bodies' own frames and the
// weld that pulls the hand, i.e. no collision geom rides on a mocap body and
// the model has no tendons, flexes, sensors, energy, islands or
// forward/inverse comparison, and integrates with Euler.
bool PositionStageReusable(const mjModel* m) {
  constexpr int kEnabled = mjENBL_ENERGY | mjENBL_FWDINV | mjENBL_ISLAND;
  if (m->ntendon || m->nflex || m->nsensor || (m->opt.enableflags & kEnabled) ||
      m->opt.integrator != mjINT_EULER) {
    return false;
  }
  for (int g = 0; g < m->ngeom; ++g) {
    const int root = m->body_rootid[m->geom_bodyid[g]];
    if (m->body_mocapid[root] >= 0 && (m->geom_contype[g] || m->geom_conaffinity[g])) return false;
  }
  return true;
}

// mj_step (checks, forward, Euler), where `d` holds the full mj_forward of its
// current qpos and qvel and only mocap_pos/quat and ctrl have changed since.
// Of the position stage only kinematics, constraints, transmission and their
// projection are redone; the mass matrix and its factor, and the contacts,
// depend on qpos and collision geoms alone and are still those in `d`. The
// result is bit-identical to mj_step (tests/parity checks every step against
// MetaWorld); a MetaWorld step (5 substeps and the closing forward) takes
// about 5% less time.
void MjStepAfterForward(const mjModel* m, mjData* d) {
  auto resets = [d] {
    return d->warning[mjWARN_BADQPOS].number + d->warning[mjWARN_BADQVEL].number;
  };
  const int before = resets();
  mj_checkPos(m, d);
  mj_checkVel(m, d);
  if (resets() != before) {
    mj_forward(m, d);  // mjData was reset: nothing in it is current
  } else {
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_makeConstraint(m, d);
    mj_transmission(m, d);
    mj_projectConstraint(m, d);
    mj_forwardSkip(m, d, mjSTAGE_POS, 0);
  }
  mj_checkAcc(m, d);
  mj_Euler(m, d);
}

}  // namespace

std::shared_ptr<const TaskModel> LoadTaskModel(const TaskSpec& spec, const std::string& asset_dir) {
  if (!spec.reset || !spec.objects || !spec.reward) {
    throw std::logic_error(std::string("task table entry ") + spec.name +
                           " lacks one of reset, objects, reward");
  }
  auto task = std::make_shared<TaskModel>();
  task->spec = &spec;
  task->model = LoadModel(asset_dir + "/sawyer_xyz/" + spec.xml);
  mjModel* m = task->model.get();
  ResetMocapWelds(m);
  // A viewer option whose only effect off-screen is that every mj_collision
  // clears one flag byte per bounding-volume node (~134k nodes in these
  // mesh-heavy models, about a third of a step). Nothing in the dynamics
  // reads the flags, so trajectories are unchanged.
  m->vis.global.bvactive = 0;
  task->reuse_position = PositionStageReusable(m);
  task->hand_body = RequireId(m, mjOBJ_BODY, "hand", spec);
  task->right_claw = RequireId(m, mjOBJ_BODY, "rightclaw", spec);
  task->left_claw = RequireId(m, mjOBJ_BODY, "leftclaw", spec);
  task->left_pad = RequireId(m, mjOBJ_BODY, "leftpad", spec);
  task->right_pad = RequireId(m, mjOBJ_BODY, "rightpad", spec);
  task->right_effector = RequireId(m, mjOBJ_SITE, "rightEndEffector", spec);
  task->left_effector = RequireId(m, mjOBJ_SITE, "leftEndEffector", spec);
  task->mocap = m->body_mocapid[RequireId(m, mjOBJ_BODY, "mocap", spec)];
  task->left_pad_geom = RequireId(m, mjOBJ_GEOM, "leftpad_geom", spec);
  task->right_pad_geom = RequireId(m, mjOBJ_GEOM, "rightpad_geom", spec);
  if (m->nu != 2 || m->nq < 9) {
    throw std::runtime_error(std::string("metaworld asset ") + spec.xml +
                             ": unexpected Sawyer model layout");
  }
  for (int k = 0; k < kMaxTaskIds; ++k) {
    const NamedId& n = spec.ids[k];
    task->ids[k] = n.name == nullptr ? -1 : RequireId(m, n.type, n.name, spec);
  }
  if (!spec.settle_depends_on_vector) {
    UniqueData d(mj_makeData(m));
    if (!d) throw std::runtime_error(std::string("mj_makeData failed for ") + spec.name);
    ResetAndSettle(m, d.get(), spec, task->mocap, kSettleSubsteps - 1);
    task->presettled.resize(mj_stateSize(m, kStateSpec));
    mj_getState(m, d.get(), task->presettled.data(), kStateSpec);
  }
  return task;
}

SawyerEnv::SawyerEnv(std::shared_ptr<const TaskModel> task)
    : task_(std::move(task)), spec_(*task_->spec), name_(spec_.name) {
  const mjModel* shared = task_->model.get();
  model_ = std::make_unique<mjModel>(*shared);
  body_pos_.assign(shared->body_pos, shared->body_pos + 3 * shared->nbody);
  site_pos_.assign(shared->site_pos, shared->site_pos + 3 * shared->nsite);
  model_->body_pos = body_pos_.data();
  model_->site_pos = site_pos_.data();
  data_.reset(mj_makeData(model_.get()));
  if (!data_) throw std::runtime_error("mj_makeData failed for " + name_);
  for (int i = 0; i < spec_.vec_dim; ++i) vec_[i] = spec_.vec_low[i];
}

SawyerEnv::~SawyerEnv() = default;

const std::vector<std::string>& SawyerEnv::info_keys() const {
  static const std::vector<std::string> keys = {"near_object",   "grasp_success",
                                                "grasp_reward",  "in_place_reward",
                                                "obj_to_target", "unscaled_reward"};
  static_assert(kNumInfoFields <= kMaxInfoFields, "too many info fields");
  return keys;
}

void SawyerEnv::CheckTaskVector(const double* vec) const {
  for (int i = 0; i < spec_.vec_dim; ++i) {
    if (!std::isfinite(vec[i]) || vec[i] < spec_.vec_low[i] || vec[i] > spec_.vec_high[i]) {
      throw std::invalid_argument("task_vector: entry " + std::to_string(i) + " of " + name_ +
                                  " is " + std::to_string(vec[i]) + ", expected within [" +
                                  std::to_string(spec_.vec_low[i]) + ", " +
                                  std::to_string(spec_.vec_high[i]) + "]");
    }
  }
  if (!Accepts(spec_, vec)) {
    throw std::invalid_argument("task_vector: " + name_ +
                                " rejects this vector (object and goal too close)");
  }
}

void SawyerEnv::FreezeTaskVector(const double* vec) {
  CheckTaskVector(vec);
  std::copy(vec, vec + spec_.vec_dim, vec_.begin());
  frozen_ = true;
}

void SawyerEnv::CurrentTaskVector(double* out) const {
  std::copy(vec_.begin(), vec_.begin() + spec_.vec_dim, out);
}

void SawyerEnv::DrawTaskVector(Rng& rng) {
  do {
    for (int i = 0; i < spec_.vec_dim; ++i) {
      vec_[i] = rng.Uniform(spec_.vec_low[i], spec_.vec_high[i]);
    }
  } while (!Accepts(spec_, vec_.data()));
}

void SawyerEnv::TcpCenter(double* out) const {
  const double* r = site_xpos(task_->right_effector);
  const double* l = site_xpos(task_->left_effector);
  for (int i = 0; i < 3; ++i) out[i] = (r[i] + l[i]) / 2.0;
}

bool SawyerEnv::TouchingObject(int geom) const {
  const mjData* d = data_.get();
  const int pads[2] = {task_->left_pad_geom, task_->right_pad_geom};
  double force[2] = {0.0, 0.0};
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    if (c.geom1 != geom && c.geom2 != geom) continue;
    int address = c.efc_address;
    if (address < 0) address += d->nefc;  // numpy indexing from the end
    if (address < 0 || address >= d->nefc) continue;
    for (int k = 0; k < 2; ++k) {
      if (c.geom1 == pads[k] || c.geom2 == pads[k]) force[k] += d->efc_force[address];
    }
  }
  return 0.0 < force[0] && 0.0 < force[1];
}

void SawyerEnv::SetBodyPos(int body, const double* pos) {
  forward_current_ = false;
  std::copy(pos, pos + 3, body_pos_.begin() + 3 * body);
}

void SawyerEnv::SetSitePos(int site, const double* pos) {
  forward_current_ = false;
  std::copy(pos, pos + 3, site_pos_.begin() + 3 * site);
}

void SawyerEnv::CurrentObs(double* curr) const {
  std::fill(curr, curr + kCurrObsDim, 0.0);
  std::copy(body_xpos(task_->hand_body), body_xpos(task_->hand_body) + 3, curr);
  const double apart = Dist3(body_xpos(task_->right_claw), body_xpos(task_->left_claw));
  curr[3] = std::clamp(apart / 0.1, 0.0, 1.0);
  spec_.objects(*this, curr + 4);
}

void SawyerEnv::ClipObs(double* obs) const {
  for (int block : {0, kCurrObsDim}) {
    for (int i = 0; i < 3; ++i) {
      obs[block + i] = std::min(std::max(obs[block + i], kHandObsLow[i]), kHandObsHigh[i]);
    }
    obs[block + 3] = std::min(std::max(obs[block + 3], -1.0), 1.0);
  }
  for (int i = 0; i < 3; ++i) {
    double& g = obs[2 * kCurrObsDim + i];
    g = std::min(std::max(g, spec_.goal_low[i]), spec_.goal_high[i]);
  }
}

void SawyerEnv::Reset(Rng& rng, float* obs) {
  forward_current_ = false;
  if (!frozen_) DrawTaskVector(rng);
  curr_path_length_ = 0;
  if (spec_.edit_model != nullptr) spec_.edit_model(*this, vec_.data());
  if (!task_->presettled.empty()) {
    // The last settling substep runs with this env's edited model, so that
    // kinematics read before the next forward see the edits, as in MetaWorld.
    mj_resetData(model_.get(), data_.get());
    mj_setState(model_.get(), data_.get(), task_->presettled.data(), kStateSpec);
    mj_step(model_.get(), data_.get());
  } else {
    ResetAndSettle(model_.get(), data_.get(), spec_, task_->mocap, kSettleSubsteps);
  }
  TcpCenter(state_.init_tcp.data());
  spec_.reset(*this, vec_.data());
  double full[kObsDim];
  CurrentObs(full);
  std::copy(full, full + kCurrObsDim, full + kCurrObsDim);
  std::copy(state_.target_pos.begin(), state_.target_pos.end(), full + 2 * kCurrObsDim);
  std::copy(full, full + kCurrObsDim, prev_obs_.begin());
  for (int i = 0; i < kObsDim; ++i) obs[i] = static_cast<float>(full[i]);
}

void SawyerEnv::ObserveFrame(double* full) {
  CurrentObs(full);
  std::copy(prev_obs_.begin(), prev_obs_.end(), full + kCurrObsDim);
  std::copy(state_.target_pos.begin(), state_.target_pos.end(), full + 2 * kCurrObsDim);
  std::copy(full, full + kCurrObsDim, prev_obs_.begin());
}

void SawyerEnv::SetState(const double* qpos, int nq, const double* qvel, int nv, float* obs) {
  mjModel* m = model_.get();
  mjData* d = data_.get();
  if (nq != m->nq || nv != m->nv) {
    throw std::invalid_argument("set_state: " + name_ + " expects qpos of " +
                                std::to_string(m->nq) + " and qvel of " + std::to_string(m->nv) +
                                " entries, got " + std::to_string(nq) + " and " +
                                std::to_string(nv));
  }
  forward_current_ = false;
  std::copy(qpos, qpos + nq, d->qpos);
  std::copy(qvel, qvel + nv, d->qvel);
  mj_forward(m, d);
  double full[kObsDim];
  ObserveFrame(full);
  for (int i = 0; i < kObsDim; ++i) obs[i] = static_cast<float>(full[i]);
}

StepOutput SawyerEnv::Step(const float* action, float* obs) {
  mjModel* m = model_.get();
  mjData* d = data_.get();
  double* mocap_pos = d->mocap_pos + 3 * task_->mocap;
  for (int i = 0; i < 3; ++i) {
    const float a = std::min(std::max(action[i], -1.0f), 1.0f);
    const float delta = a * 0.01f;
    mocap_pos[i] = std::min(std::max(mocap_pos[i] + static_cast<double>(delta), spec_.hand_low[i]),
                            spec_.hand_high[i]);
  }
  std::copy(kMocapQuat, kMocapQuat + 4, d->mocap_quat + 4 * task_->mocap);
  d->ctrl[0] = static_cast<double>(action[3]);
  d->ctrl[1] = -static_cast<double>(action[3]);
  if (forward_current_ && task_->reuse_position) {
    MjStepAfterForward(m, d);
  } else {
    mj_step(m, d);
  }
  for (int k = 1; k < kFrameSkip; ++k) mj_step(m, d);
  ++curr_path_length_;
  mj_forward(m, d);
  forward_current_ = true;
  double full[kObsDim];
  ObserveFrame(full);
  ClipObs(full);
  const RewardResult r = spec_.reward(*this, full, action);
  for (int i = 0; i < kObsDim; ++i) obs[i] = static_cast<float>(full[i]);
  StepOutput out;
  out.reward = r.reward;
  out.success = r.success;
  out.terminated = false;
  std::copy(r.info.begin(), r.info.end(), out.info.begin());
  return out;
}

PyNum SawyerEnv::GripperCagingReward(const float* action, const double* obj,
                                     const CagingParams& p) const {
  const double* obj_init = state_.obj_init_pos.data();
  const double pad_y[2] = {left_pad()[1], right_pad()[1]};
  double caging_lr[2];
  for (int i = 0; i < 2; ++i) {
    const double to_obj = std::abs(pad_y[i] - obj[1]);
    const double to_init = std::abs(pad_y[i] - obj_init[1]);
    const double margin = std::abs(to_init - p.pad_success_thresh);
    caging_lr[i] =
        Tolerance(to_obj, p.obj_radius, p.pad_success_thresh, margin, Sigmoid::kLongTail);
  }
  const double caging_y = HamacherProduct(caging_lr[0], caging_lr[1]);
  double tcp[3];
  TcpCenter(tcp);
  const double* init_tcp = state_.init_tcp.data();
  const double xz_margin =
      Norm2(obj_init[0] - init_tcp[0], obj_init[2] - init_tcp[2]) - p.xz_thresh;
  const double caging_xz = Tolerance(Norm2(tcp[0] - obj[0], tcp[2] - obj[2]), 0.0, p.xz_thresh,
                                     xz_margin, Sigmoid::kLongTail);
  const PyNum gripper_closed = ScaledEffort(action[3], p.desired_gripper_effort);
  const double caging = HamacherProduct(caging_y, caging_xz);
  const PyNum gripping = caging > 0.97 ? gripper_closed : PyNum{0.0, false};
  PyNum out = HamacherProduct(PyNum{caging, false}, gripping);
  if (p.high_density) out = MeanWithPyFloat(out, caging);
  if (p.medium_density) out = MeanWithPyFloat(out, CagingReach(obj, p.object_reach_radius));
  return out;
}

double SawyerEnv::CagingReach(const double* obj, double object_reach_radius) const {
  double tcp[3];
  TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double tcp_to_obj_init = Dist3(state_.obj_init_pos.data(), state_.init_tcp.data());
  const double reach_margin = std::abs(tcp_to_obj_init - object_reach_radius);
  return Tolerance(tcp_to_obj, 0.0, object_reach_radius, reach_margin, Sigmoid::kLongTail);
}

}  // namespace sawyer
}  // namespace ctpg
