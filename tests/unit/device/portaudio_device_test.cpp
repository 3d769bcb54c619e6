// SPDX-License-Identifier: Apache-2.0
#include "device/portaudio_device.hpp"

#include <string>

#include <gtest/gtest.h>

#include "device/error.hpp"

#if defined(__SANITIZE_ADDRESS__)
// PortAudio's ALSA host loads ALSA plugins (pulse, jack, ...) that keep configuration
// allocations after they are unloaded; LeakSanitizer reports them from "<unknown module>". Leaks
// of our own device code are checked by the other device tests, which do not load PortAudio.
extern "C" const char* __asan_default_options() {
    return "detect_leaks=0";
}
#endif

namespace parley::device {
namespace {

// These need no sound card: PortAudio starts without one, and the errors come before any stream
// is opened.

TEST(PortAudioDeviceTest, UnknownDeviceNameIsOneClearLine) {
    PortAudioDevice device(PortAudioDeviceOptions{.input_device = "xyz-no-such-device"});
    std::string why;
    const Status status = device.open(&why);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), DeviceError::kNoSuchDevice);
    EXPECT_EQ(status.error(), DeviceCondition::kDeviceUnavailable);
    EXPECT_EQ(why, "no audio device matches 'xyz-no-such-device'; `parley devices` lists them");
    EXPECT_FALSE(device.is_open());
}

TEST(PortAudioDeviceTest, UnknownDeviceIndexIsRejected) {
    PortAudioDevice device(
        PortAudioDeviceOptions{.input_device = "99999", .output_device = "99999"});
    std::string why;
    const Status status = device.open(&why);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), DeviceError::kNoSuchDevice);
    EXPECT_EQ(why, "no audio device matches '99999'; `parley devices` lists them");
}

TEST(PortAudioDeviceTest, InvalidOptionsAreRejected) {
    PortAudioDevice device(PortAudioDeviceOptions{.sample_rate_hz = 5});
    std::string why;
    const Status status = device.open(&why);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), DeviceError::kInvalidConfig);
    EXPECT_FALSE(why.empty());
}

TEST(PortAudioDeviceTest, ListDevicesGivesConsistentEntries) {
    std::string why;
    auto devices = list_devices(&why);
    ASSERT_TRUE(devices) << why;
    for (std::size_t i = 0; i < devices->size(); ++i) {
        const AudioDeviceInfo& d = (*devices)[i];
        SCOPED_TRACE(d.name);
        EXPECT_GE(d.index, 0);
        EXPECT_FALSE(d.name.empty());
        EXPECT_GE(d.max_input_channels, 0);
        EXPECT_GE(d.max_output_channels, 0);
    }
}

TEST(PortAudioDeviceTest, StartBeforeOpenFails) {
    PortAudioDevice device;
    std::string why;
    const Status status = device.start(&why);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), DeviceError::kNotOpen);
}

TEST(DeviceErrorTest, EveryCodeHasAMessage) {
    for (int e = 1; e <= static_cast<int>(DeviceError::kInvalidConfig); ++e) {
        const std::error_code code = static_cast<DeviceError>(e);
        EXPECT_NE(code.message(), "unknown device error");
        EXPECT_EQ(code.message().find('\n'), std::string::npos);
    }
}

}  // namespace
}  // namespace parley::device
