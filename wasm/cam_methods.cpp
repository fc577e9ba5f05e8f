#include "cam_methods.h"

namespace dermcam {
namespace cam {
#define DERMCAM_CAM_METHOD(name) extern const CamMethodInfo name;
#include "cam/methods.inc"
#undef DERMCAM_CAM_METHOD
}  // namespace cam

const std::vector<CamMethodInfo>& cam_method_registry() {
  static const std::vector<CamMethodInfo> registry = {
#define DERMCAM_CAM_METHOD(name) cam::name,
#include "cam/methods.inc"
#undef DERMCAM_CAM_METHOD
  };
  return registry;
}

const CamMethodInfo* find_cam_method(std::string_view id) {
  for (const CamMethodInfo& info : cam_method_registry()) {
    if (id == info.id) return &info;
  }
  return nullptr;
}

}  // namespace dermcam
