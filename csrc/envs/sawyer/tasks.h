// The MetaWorld v3 task table entries ported so far.
#pragma once

#include "envs/sawyer/task_spec.h"

namespace ctpg {
namespace sawyer {

const TaskSpec& ReachTask();
const TaskSpec& PushTask();
const TaskSpec& PickPlaceTask();
const TaskSpec& PegInsertSideTask();

}  // namespace sawyer
}  // namespace ctpg
