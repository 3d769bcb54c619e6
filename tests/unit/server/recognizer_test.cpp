// SPDX-License-Identifier: Apache-2.0
#include "server/recognizer.hpp"

#include <functional>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dsp/resampler.hpp"
#include "server/builtin_brain.hpp"
#include "server/engine_error.hpp"
#include "server/synthesizer.hpp"
#include "support/test_audio.hpp"

namespace parley::server {
namespace {

constexpr std::size_t k20msSamples = 320;  // at 16 kHz

// flite speech at 16 kHz, through our Synthesizer (24 kHz) and back down, as a client sends it.
std::vector<int16_t> speech_16k(std::string_view text, FliteVoice voice) {
    static const auto synth = Synthesizer::create();
    EXPECT_TRUE(synth);
    const auto pcm = synth->synthesize(text, voice);
    EXPECT_TRUE(pcm);
    auto out = dsp::resample(*pcm, Synthesizer::kOutputRateHz, 16000);
    // Half a second of silence on both sides, as a turn detector would cut it.
    out.insert(out.begin(), 8000, 0);
    out.insert(out.end(), 8000, 0);
    return out;
}

const std::vector<int16_t>& calibration() {
    static const auto audio = [] {
        const auto synth = Synthesizer::create();
        return synth ? synth->calibration_speech_16k() : std::vector<int16_t>{};
    }();
    return audio;
}

std::set<std::string> word_set(const std::string& text) {
    std::set<std::string> words;
    std::istringstream in(text);
    for (std::string w; in >> w;) words.insert(w);
    return words;
}

Result<std::string> recognize(RecognizerPool& pool, std::span<const int16_t> pcm,
                              std::size_t chunk_samples) {
    auto utterance = pool.begin();
    for (std::size_t i = 0; i < pcm.size(); i += chunk_samples) {
        const auto status = utterance.feed(pcm.subspan(i, std::min(chunk_samples, pcm.size() - i)));
        if (!status)
            return tl::unexpected(status.error());
    }
    return utterance.finish();
}

class RecognizerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // Calibrated as `parley serve` runs it.
        auto created = RecognizerPool::create({.decoders = 2, .calibration = calibration()});
        ASSERT_TRUE(created) << created.error().message();
        pool_ = new RecognizerPool(std::move(*created));
    }
    static void TearDownTestSuite() {
        delete pool_;
        pool_ = nullptr;
    }
    static RecognizerPool* pool_;
};
RecognizerPool* RecognizerTest::pool_ = nullptr;

struct Phrase {
    const char* text;
    std::vector<std::string> key_words;
    const char* brain_reply;  // what BuiltinBrain answers to what was recognised
};

const Phrase kPhrases[] = {
    {"what is twelve times seven",
     {"twelve", "times", "seven"},
     "Twelve times seven is eighty four."},
    {"tell me a story", {"story"}, nullptr},
    {"hello there", {"hello"}, "Hello! How can I help you today?"},
};

TEST_F(RecognizerTest, RecognisesFliteSpeechInEveryVoice) {
    for (const auto voice : {FliteVoice::kSlt, FliteVoice::kRms, FliteVoice::kAwb}) {
        for (const auto& phrase : kPhrases) {
            SCOPED_TRACE(std::string(flite_voice_name(voice)) + ": " + phrase.text);
            const auto pcm = speech_16k(phrase.text, voice);
            const auto text = recognize(*pool_, pcm, k20msSamples);
            ASSERT_TRUE(text) << text.error().message();
            const auto heard = word_set(*text);
            for (const auto& word : phrase.key_words) {
                EXPECT_TRUE(heard.count(word)) << "missing '" << word << "' in '" << *text << "'";
            }
            for (const char ch : *text) {
                EXPECT_TRUE(std::islower(static_cast<unsigned char>(ch)) || ch == ' ' || ch == '\'')
                    << *text;
            }
            if (phrase.brain_reply != nullptr) {
                BuiltinBrain brain;
                BrainRequest request;
                request.history.push_back(HistoryEntry::user(*text));
                std::optional<ToolCall> call;
                const auto reply = brain.compose(request, call);
                ASSERT_EQ(reply.size(), 1u);
                EXPECT_EQ(reply[0], phrase.brain_reply);
            }
        }
    }
}

TEST_F(RecognizerTest, BrainAnswerIsRecognisedBack) {
    // The brain answers in words so that its speech reads back: the loop a test client closes.
    // (The operator word is not asserted: "times" sometimes reads back as "ten".)
    const auto pcm = speech_16k("Twelve times seven is eighty four.", FliteVoice::kSlt);
    const auto text = recognize(*pool_, pcm, k20msSamples);
    ASSERT_TRUE(text);
    const auto heard = word_set(*text);
    for (const char* word : {"twelve", "seven", "eighty", "four"}) {
        EXPECT_TRUE(heard.count(word)) << word << " in '" << *text << "'";
    }
}

TEST_F(RecognizerTest, StreamingGivesTheSameTextAsOneShot) {
    const auto pcm = speech_16k("what is one hundred and five divided by three", FliteVoice::kRms);
    const auto streamed = recognize(*pool_, pcm, k20msSamples);
    const auto one_shot = recognize(*pool_, pcm, pcm.size());
    const auto odd_chunks = recognize(*pool_, pcm, 123);
    ASSERT_TRUE(streamed && one_shot && odd_chunks);
    EXPECT_FALSE(streamed->empty());
    EXPECT_EQ(*streamed, *one_shot);
    EXPECT_EQ(*odd_chunks, *one_shot);
}

TEST(RecognizerPoolTest, ATranscriptDoesNotDependOnWhatItsDecoderHeardBefore) {
    // One decoder serves every utterance, as it serves one session after another. Between
    // hearings of the same question it hears other voices, quiet and loud, a noisy room and a
    // request; without calibration pocketsphinx's running cepstral mean carries them over and the
    // question reads differently ("one is twelve times seven", then "let us tell time seven").
    auto pool = RecognizerPool::create({.decoders = 1, .calibration = calibration()});
    ASSERT_TRUE(pool);
    const auto question = speech_16k("what is twelve times seven", FliteVoice::kSlt);
    const auto first = recognize(*pool, question, k20msSamples);
    ASSERT_TRUE(first);
    const auto scaled = [](std::vector<int16_t> pcm, int numerator, int denominator) {
        for (auto& s : pcm)
            s = static_cast<int16_t>(std::clamp(s * numerator / denominator, -32768, 32767));
        return pcm;
    };
    const std::vector<std::vector<int16_t>> others = {
        scaled(
            speech_16k("the weather in the mountains is cold and windy at night", FliteVoice::kAwb),
            1, 20),
        scaled(speech_16k("please remind me to call my sister tomorrow morning", FliteVoice::kRms),
               3, 1),
        scaled(speech_16k("tell me a story about a little robot", FliteVoice::kSlt), 1, 8),
        test::pink_noise(3 * 16000, 2000.0, 5),
        speech_16k("tell me a story please", FliteVoice::kSlt),
    };
    for (const auto& other : others) {
        ASSERT_TRUE(recognize(*pool, other, k20msSamples));
        const auto again = recognize(*pool, question, k20msSamples);
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *first);
    }
}

TEST_F(RecognizerTest, EmptyUtteranceIsEmptyText) {
    auto utterance = pool_->begin();
    const auto text = utterance.finish();
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "");
}

TEST_F(RecognizerTest, ClosedUtteranceRefusesMore) {
    auto utterance = pool_->begin();
    const std::vector<int16_t> silence(k20msSamples, 0);
    ASSERT_TRUE(utterance.feed(silence));
    ASSERT_TRUE(utterance.finish());
    auto status = utterance.feed(silence);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), EngineError::kUtteranceClosed);
    const auto again = utterance.finish();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), EngineError::kUtteranceClosed);

    auto cancelled = pool_->begin();
    ASSERT_TRUE(cancelled.feed(silence));
    cancelled.cancel();
    cancelled.cancel();  // idempotent
    status = cancelled.feed(silence);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), EngineError::kUtteranceClosed);
}

TEST_F(RecognizerTest, TooLongUtteranceIsRefusedButStillFinishes) {
    auto created =
        RecognizerPool::create({.decoders = 1, .max_utterance = std::chrono::seconds(3)});
    ASSERT_TRUE(created);
    auto utterance = created->begin();
    const auto pcm = speech_16k("hello there", FliteVoice::kSlt);
    ASSERT_LT(pcm.size(), 48000u);
    ASSERT_TRUE(utterance.feed(pcm));
    const std::vector<int16_t> more(48000, 0);
    const auto status = utterance.feed(more);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), EngineError::kUtteranceTooLong);
    const auto text = utterance.finish();
    ASSERT_TRUE(text);
    EXPECT_TRUE(word_set(*text).count("hello")) << *text;
}

TEST(RecognizerPoolTest, MissingModelSaysWhatToInstall) {
    const auto pool = RecognizerPool::create({.model_dir = "/nonexistent/pocketsphinx/model"});
    ASSERT_FALSE(pool);
    EXPECT_EQ(pool.error(), EngineError::kSpeechModelMissing);
    EXPECT_NE(pool.error().message().find("install pocketsphinx-en-us"), std::string::npos);
}

TEST(RecognizerPoolTest, LoadsDecodersLazilyOrOnWarmUp) {
    auto pool = RecognizerPool::create({.decoders = 2});
    ASSERT_TRUE(pool);
    EXPECT_EQ(pool->decoders_loaded(), 0u);
    auto utterance = pool->begin();
    EXPECT_EQ(pool->decoders_loaded(), 0u);  // begin() takes nothing
    ASSERT_TRUE(utterance.feed(std::vector<int16_t>(k20msSamples, 0)));
    EXPECT_EQ(pool->decoders_loaded(), 1u);
    EXPECT_EQ(pool->decoders_busy(), 1u);
    EXPECT_TRUE(utterance.has_decoder());
    utterance.cancel();
    EXPECT_EQ(pool->decoders_busy(), 0u);
    ASSERT_TRUE(pool->warm_up());
    EXPECT_EQ(pool->decoders_loaded(), 2u);
    EXPECT_EQ(pool->decoders_busy(), 0u);
}

TEST(RecognizerPoolTest, GrowsThroughTheLoaderWhileUtterancesQueueTheirAudio) {
    std::vector<std::function<void()>> loads;
    auto created = RecognizerPool::create(
        {.decoders = 2, .preload_decoders = 1},
        [&](std::function<void()> load) { loads.push_back(std::move(load)); });
    ASSERT_TRUE(created);
    auto& pool = *created;
    ASSERT_TRUE(pool.warm_up());
    EXPECT_EQ(pool.decoders_loaded(), 1u);

    // The first user takes the only decoder; the pool asks for a spare at once.
    auto first = pool.begin();
    ASSERT_TRUE(first.feed(std::vector<int16_t>(k20msSamples, 0)));
    EXPECT_TRUE(first.has_decoder());
    ASSERT_EQ(loads.size(), 1u);

    // A second user arriving before the spare is loaded queues instead of loading on its own
    // thread, and no second load is asked for while one is pending.
    const auto audio = speech_16k("what is twelve times seven", FliteVoice::kSlt);
    auto second = pool.begin();
    const auto half = audio.size() / 2;
    ASSERT_TRUE(second.feed(std::span(audio).first(half)));
    EXPECT_FALSE(second.has_decoder());
    EXPECT_EQ(second.queued_samples(), half);
    EXPECT_EQ(loads.size(), 1u);

    // Once loaded, the spare is picked up by the next feed, which catches up on the queue.
    loads.front()();
    EXPECT_EQ(pool.decoders_loaded(), 2u);
    ASSERT_TRUE(second.feed(std::span(audio).subspan(half)));
    EXPECT_TRUE(second.has_decoder());
    EXPECT_EQ(second.queued_samples(), 0u);

    // The pool is full: a third user queues and nothing more is loaded.
    auto third = pool.begin();
    ASSERT_TRUE(third.feed(std::vector<int16_t>(k20msSamples, 0)));
    EXPECT_FALSE(third.has_decoder());
    EXPECT_EQ(loads.size(), 1u);

    const auto text = second.finish();
    ASSERT_TRUE(text) << text.error().message();
    const auto heard = word_set(*text);
    EXPECT_TRUE(heard.count("twelve") && heard.count("seven")) << *text;
    first.cancel();
    third.cancel();
    EXPECT_EQ(pool.decoders_busy(), 0u);
}

TEST(RecognizerPoolTest, ServesMoreUtterancesThanDecoders) {
    auto created = RecognizerPool::create({.decoders = 1});
    ASSERT_TRUE(created);
    auto& pool = *created;
    const char* texts[] = {"hello there", "what is twelve times seven", "tell me a story"};
    const std::set<std::string> keys[] = {{"hello"}, {"twelve", "seven"}, {"story"}};
    std::vector<std::vector<int16_t>> audio;
    for (const char* text : texts) audio.push_back(speech_16k(text, FliteVoice::kSlt));

    // Three users speak at once, interleaved 20 ms at a time: the first holds the only
    // decoder, the others queue their audio.
    std::vector<Utterance> utterances;
    for (std::size_t u = 0; u < 3; ++u) utterances.push_back(pool.begin());
    std::size_t longest = 0;
    for (const auto& a : audio) longest = std::max(longest, a.size());
    for (std::size_t i = 0; i < longest; i += k20msSamples) {
        for (std::size_t u = 0; u < 3; ++u) {
            if (i >= audio[u].size())
                continue;
            const auto n = std::min(k20msSamples, audio[u].size() - i);
            ASSERT_TRUE(utterances[u].feed(std::span(audio[u]).subspan(i, n)));
        }
    }
    EXPECT_TRUE(utterances[0].has_decoder());
    EXPECT_FALSE(utterances[1].has_decoder());
    EXPECT_EQ(utterances[1].queued_samples(), audio[1].size());
    EXPECT_EQ(utterances[2].queued_samples(), audio[2].size());

    // The queued users finish first, from other threads: they wait for the decoder and are
    // served, oldest first, when the first user finishes.
    std::vector<std::promise<Result<std::string>>> results(3);
    utterances[1].finish_async([&](Result<std::string> r) { results[1].set_value(std::move(r)); });
    utterances[2].finish_async([&](Result<std::string> r) { results[2].set_value(std::move(r)); });
    std::thread first([&] { results[0].set_value(utterances[0].finish()); });
    first.join();
    for (std::size_t u = 0; u < 3; ++u) {
        SCOPED_TRACE(texts[u]);
        auto future = results[u].get_future();
        ASSERT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
        const auto text = future.get();
        ASSERT_TRUE(text) << text.error().message();
        const auto heard = word_set(*text);
        for (const auto& key : keys[u]) EXPECT_TRUE(heard.count(key)) << *text;
    }
    EXPECT_EQ(pool.decoders_loaded(), 1u);
    EXPECT_EQ(pool.decoders_busy(), 0u);
}

TEST(RecognizerPoolTest, ManyThreadsShareTwoDecoders) {
    auto created = RecognizerPool::create({.decoders = 2});
    ASSERT_TRUE(created);
    auto& pool = *created;
    const auto pcm = speech_16k("what is twelve times seven", FliteVoice::kRms);
    std::vector<Result<std::string>> results(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < results.size(); ++t) {
        threads.emplace_back([&, t] { results[t] = recognize(pool, pcm, k20msSamples); });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& text : results) {
        ASSERT_TRUE(text) << text.error().message();
        EXPECT_EQ(*text, *results[0]);
        EXPECT_TRUE(word_set(*text).count("twelve")) << *text;
    }
    EXPECT_LE(pool.decoders_loaded(), 2u);
    EXPECT_EQ(pool.decoders_busy(), 0u);
}

TEST(RecognizerPoolTest, CancelWhileWaitingReportsCancelled) {
    auto created = RecognizerPool::create({.decoders = 1});
    ASSERT_TRUE(created);
    auto& pool = *created;
    const std::vector<int16_t> silence(1600, 0);
    auto holder = pool.begin();
    ASSERT_TRUE(holder.feed(silence));
    auto waiting = pool.begin();
    ASSERT_TRUE(waiting.feed(silence));
    std::optional<Result<std::string>> result;
    waiting.finish_async([&](Result<std::string> r) { result = std::move(r); });
    EXPECT_FALSE(result.has_value());  // no decoder free: it waits
    waiting.cancel();
    ASSERT_TRUE(result.has_value());
    ASSERT_FALSE(*result);
    EXPECT_EQ(result->error(), EngineError::kCancelled);
    // The holder finishes normally and the decoder goes back to the pool.
    EXPECT_TRUE(holder.finish());
    EXPECT_EQ(pool.decoders_busy(), 0u);
}

TEST(RecognizerPoolTest, DestroyingAnUtteranceFreesItsDecoder) {
    auto created = RecognizerPool::create({.decoders = 1});
    ASSERT_TRUE(created);
    {
        auto utterance = created->begin();
        ASSERT_TRUE(utterance.feed(std::vector<int16_t>(1600, 0)));
        EXPECT_EQ(created->decoders_busy(), 1u);
    }
    EXPECT_EQ(created->decoders_busy(), 0u);
    const auto pcm = speech_16k("hello there", FliteVoice::kSlt);
    const auto text = recognize(*created, pcm, k20msSamples);
    ASSERT_TRUE(text);
    EXPECT_TRUE(word_set(*text).count("hello"));
}

}  // namespace
}  // namespace parley::server
