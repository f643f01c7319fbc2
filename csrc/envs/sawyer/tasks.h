// The MetaWorld v3 task table entries (the MT10 tasks first, then the rest of MT50).
// The MetaWorld v3 task table entries.
// The MetaWorld v3 task table entries (the MT10 tasks, then further MT50 tasks).
#pragma once

#include "envs/sawyer/task_spec.h"

namespace ctpg {
namespace sawyer {

const TaskSpec& ReachTask();
const TaskSpec& PushTask();
const TaskSpec& PickPlaceTask();
const TaskSpec& PegInsertSideTask();
const TaskSpec& DoorOpenTask();
const TaskSpec& DrawerOpenTask();
const TaskSpec& DrawerCloseTask();
const TaskSpec& ButtonPressTopdownTask();
const TaskSpec& WindowOpenTask();
const TaskSpec& WindowCloseTask();
const TaskSpec& ButtonPressTask();
const TaskSpec& ButtonPressWallTask();
const TaskSpec& ButtonPressTopdownWallTask();
const TaskSpec& CoffeeButtonTask();
const TaskSpec& CoffeePullTask();
const TaskSpec& CoffeePushTask();
const TaskSpec& DoorCloseTask();
const TaskSpec& DoorLockTask();
const TaskSpec& DoorUnlockTask();
const TaskSpec& FaucetOpenTask();
const TaskSpec& FaucetCloseTask();
const TaskSpec& PlateSlideTask();
const TaskSpec& PlateSlideSideTask();
const TaskSpec& PlateSlideBackTask();
const TaskSpec& PlateSlideBackSideTask();
const TaskSpec& PushWallTask();
const TaskSpec& PushBackTask();
const TaskSpec& ReachWallTask();
const TaskSpec& SoccerTask();
const TaskSpec& StickPushTask();
const TaskSpec& StickPullTask();
const TaskSpec& SweepIntoTask();
const TaskSpec& SweepTask();
const TaskSpec& HandlePressTask();
const TaskSpec& HandlePressSideTask();
const TaskSpec& HandlePullTask();
const TaskSpec& HandlePullSideTask();
const TaskSpec& LeverPullTask();
const TaskSpec& DialTurnTask();
const TaskSpec& PickPlaceWallTask();
const TaskSpec& PickOutOfHoleTask();
const TaskSpec& ShelfPlaceTask();
const TaskSpec& HandInsertTask();
const TaskSpec& BinPickingTask();
const TaskSpec& BasketballTask();
const TaskSpec& AssemblyTask();
const TaskSpec& DisassembleTask();
const TaskSpec& HammerTask();
const TaskSpec& PegUnplugSideTask();
const TaskSpec& BoxCloseTask();

}  // namespace sawyer
}  // namespace ctpg
