// Every file from scripts/fixtures/make-bad-files.py gets its documented outcome: a correct decode or the error code
// in manifest.tsv, and (under ASan/UBSan in CI) no memory error on the way.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "decode.h"
#include "preprocess.h"

namespace dermcam {
namespace {

struct BadFile {
  std::string name;
  std::string expect;
};

std::vector<BadFile> manifest() {
  std::ifstream in(std::string(DERMCAM_FIXTURES_DIR) + "/bad/manifest.tsv");
  std::vector<BadFile> files;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    files.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return files;
}

std::vector<uint8_t> read(const std::string& name) {
  std::ifstream in(std::string(DERMCAM_FIXTURES_DIR) + "/bad/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(BadFilesTest, ManifestHasAtLeastFiftyFiles) { EXPECT_GE(manifest().size(), 50u); }

TEST(BadFilesTest, EachFileGetsItsDocumentedOutcome) {
  for (const BadFile& file : manifest()) {
    const std::vector<uint8_t> bytes = read(file.name);
    auto result = decode_image(bytes.data(), bytes.size());
    if (file.expect == "decode") {
      ASSERT_TRUE(result.ok()) << file.name << ": " << result.error().message;
    } else if (file.expect == "corrupt_or_decode") {
      if (!result.ok()) EXPECT_EQ(result.error().code, ErrorCode::kCorruptImage) << file.name;
    } else {
      ASSERT_FALSE(result.ok()) << file.name << " decoded but should fail with " << file.expect;
      EXPECT_STREQ(error_code_name(result.error().code), file.expect.c_str())
          << file.name << ": " << result.error().message;
      EXPECT_GT(result.error().message.size(), 10u) << file.name;
    }
    if (result.ok()) {  // whatever decodes also goes through preprocessing
      const RgbImage& image = result.value().image;
      EXPECT_EQ(image.pixels.size(), static_cast<size_t>(image.width) * image.height * 3) << file.name;
      for (ResizePolicy policy : {ResizePolicy::kStretch, ResizePolicy::kCenterCrop, ResizePolicy::kLetterbox}) {
        PreprocessOptions o;
        o.policy = policy;
        EXPECT_TRUE(make_model_tensor(image, o).ok()) << file.name;
      }
      EXPECT_TRUE(make_display_image(image).ok()) << file.name;
    }
  }
}

}  // namespace
}  // namespace dermcam
