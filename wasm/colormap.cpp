#include "colormap.h"

namespace dermcam {
namespace {

const std::array<ColormapTable, 4> kTables = {{
#include "colormap_tables.inc"
}};

}  // namespace

const std::vector<ColormapInfo>& colormap_registry() {
  static const std::vector<ColormapInfo> registry = {
      {Colormap::kJet, "jet", "Jet (classic Grad-CAM)", false},
      {Colormap::kTurbo, "turbo", "Turbo", false},
      {Colormap::kViridis, "viridis", "Viridis (colour-blind friendly)", true},
      {Colormap::kInferno, "inferno", "Inferno (colour-blind friendly)", true},
  };
  return registry;
}

const ColormapInfo* find_colormap(std::string_view id) {
  for (const ColormapInfo& info : colormap_registry()) {
    if (id == info.id) return &info;
  }
  return nullptr;
}

const ColormapTable& colormap_table(Colormap colormap) { return kTables[static_cast<int>(colormap)]; }

}  // namespace dermcam
