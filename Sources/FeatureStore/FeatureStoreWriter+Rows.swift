import CHDF5
import Foundation

extension FeatureStoreWriter {
    /// Records the exact view of `row` (and its uint8 pixels `[T, S, S, 3]` when the cache stores pixels).
    ///
    /// For a row that a teacher has already committed, the view must equal the stored one (see
    /// `storedView(row:)`) and nothing is written.
    public func writeView(row: Int, _ view: RowView, pixels: [UInt8]? = nil) throws {
        try lock.withLock {
            let local = try localRow(row)
            let a = cache.attributes
            guard view.frames.count == a.numFrames else {
                throw FeatureStoreError(
                    .invalidArgument,
                    "row \(row): \(view.frames.count) frame indices, the "
                        + "cache holds \(a.numFrames) per clip; pass one index per sampled frame.")
            }
            if done.values.contains(where: { $0[local] == 1 }) {
                let stored = try storedViewLocked(local)
                guard stored == view else {
                    throw FeatureStoreError(
                        .invalidArgument,
                        "row \(row) is committed with frames \(stored.frames) "
                            + "crop \(stored.crop), not \(view.frames) \(view.crop); use storedView(row:) "
                            + "so that every teacher sees the same view.")
                }
                return
            }
            try cache.clipFrames.write(rows: local..<local + 1, view.frames.map { Int32($0) })
            let c = view.crop
            try cache.clipCrop.write(rows: local..<local + 1, [c.x, c.y, c.width, c.height].map { Int32($0) })
            if let dataset = cache.pixels {
                guard let pixels = pixels, pixels.count == dataset.rowElements else {
                    throw FeatureStoreError(
                        .invalidArgument,
                        "row \(row): the cache stores pixels, so pass "
                            + "\(dataset.rowElements) uint8 values [T, S, S, 3], got \(pixels?.count ?? 0).")
                }
                try dataset.write(rows: local..<local + 1, pixels)
            }
            stagedViews.insert(local)
        }
    }

    /// Writes `teacher`'s features for `row`: `L * D` values, row-major `[L, D]`. Float16 teachers round
    /// here, in Swift (round to nearest even); int8 teachers quantise here (`Int8Quantization`) and refuse
    /// non-finite values. The row becomes done at the next commit.
    public func writeFeatures(row: Int, teacher: String, _ values: [Float]) throws {
        try values.withUnsafeBufferPointer { try writeFeatures(row: row, teacher: teacher, float32: $0) }
    }

    /// Writes already rounded float16 features for `row` (`L * D` values).
    public func writeFeatures(row: Int, teacher: String, _ values: [Float16]) throws {
        try lock.withLock {
            let (local, dataset) = try prepareFeatures(row: row, teacher: teacher, count: values.count)
            switch dataset.spec.dtype {
            case .float16:
                try dataset.features.write(rows: local..<local + 1, memType: dataset.storedType, values)
            case .float32:
                try dataset.features.write(
                    rows: local..<local + 1, memType: dataset.storedType,
                    Float16Conversion.toFloat(values))
            case .int8:
                try Float16Conversion.toFloat(values).withUnsafeBufferPointer {
                    try writeInt8(row: row, local, dataset, $0)
                }
            }
            try stage(local, teacher)
        }
    }

    /// Writes float32 features for `row` from a caller buffer (`L * D` values).
    public func writeFeatures(row: Int, teacher: String, float32 values: UnsafeBufferPointer<Float>) throws {
        try lock.withLock {
            let (local, dataset) = try prepareFeatures(row: row, teacher: teacher, count: values.count)
            switch dataset.spec.dtype {
            case .float16:
                var half = [Float16](repeating: 0, count: values.count)
                half.withUnsafeMutableBufferPointer { Float16Conversion.convert(values, into: $0) }
                try dataset.features.write(rows: local..<local + 1, memType: dataset.storedType, half)
            case .float32:
                try dataset.features.write(
                    rows: local..<local + 1, memType: dataset.storedType,
                    from: UnsafeRawPointer(values.baseAddress!))
            case .int8:
                try writeInt8(row: row, local, dataset, values)
            }
            try stage(local, teacher)
        }
    }

    /// Marks `video` decoded and finished. Every row must have features of every teacher of this run
    /// (written now or committed earlier). The status is committed with the rows.
    public func finishVideo(_ video: Int) throws {
        try lock.withLock {
            let local = try localVideo(video)
            for row in rows(ofVideo: video) {
                let localRow = try localRow(row)
                for teacher in runTeachers
                where !isDoneLocked(row, teacher)
                    && !(stagedDone[teacher]?.contains(localRow) ?? false)
                {
                    throw FeatureStoreError(
                        .invalidArgument,
                        "video \(video) cannot be finished: row \(row) has no "
                            + "features of teacher \"\(teacher)\"; write them first.")
                }
            }
            stagedStatus[local] = (.ok, "")
            try commitIfDue()
        }
    }

    /// Records that `video` could not be used (missing, empty, truncated, not a video), with the reason.
    /// Its rows stay not done; a rerun does not retry it.
    public func failVideo(_ video: Int, reason: String) throws {
        try lock.withLock {
            stagedStatus[try localVideo(video)] = (.failed, reason)
            try commitIfDue()
        }
    }

    /// Makes everything written so far durable (see the type's documentation for the two-phase order).
    public func commit() throws {
        try lock.withLock { try commitLocked() }
    }

    private func commitLocked() throws {
        guard !stagedStatus.isEmpty || stagedDone.values.contains(where: { !$0.isEmpty }) else { return }
        // Phase 1: data. Error strings are the only metadata written after creation; they are flushed
        // before the status that points at them.
        for (video, (state, reason)) in stagedStatus.sorted(by: { $0.key < $1.key }) where state == .failed {
            try cache.videoError.writeStrings([reason], at: video)
        }
        try flushToDisk()
        faultHook?(.afterDataFlush)
        // Phase 2: the flags that vouch for the data.
        for (teacher, rows) in stagedDone.sorted(by: { $0.key < $1.key }) {
            let flags = try cache.teacher(teacher).done
            for row in rows.sorted() {
                try setFlag(flags, row, 1)
                done[teacher]?[row] = 1
            }
        }
        for (video, (state, _)) in stagedStatus.sorted(by: { $0.key < $1.key }) {
            try setFlag(cache.videoStatus, video, state.rawValue)
            status[video] = state.rawValue
        }
        try flushToDisk()
        stagedDone = [:]
        stagedViews = stagedViews.filter { row in !done.values.contains { $0[row] == 1 } }
        stagedStatus = [:]
        faultHook?(.afterCommit)
    }

    /// Commits and closes the file. Using the writer afterwards throws.
    ///
    /// A teacher of this run that is now complete and has no statistics yet gets them (`FeatureStatistics`, see
    /// `statisticsWritten`): also when nothing was left to extract, so that rerunning the command that made a cache
    /// before statistics existed adds them.
    public func close() throws {
        try lock.withLock {
            // The lock is released only after the file is closed (and after the statistics' rename).
            defer { fileLock.release() }
            defer { cache.close() }
            try commitLocked()
            try addStatisticsLocked()
        }
    }

    /// The statistics this writer stored when it was closed, by teacher name (empty before `close()`, and when no
    /// teacher of the run became complete without statistics).
    public var statisticsWritten: [String: FeatureStatistics] { lock.withLock { writtenStatistics } }

    /// Computes the statistics of every complete teacher of this run that has none, and stores them (lock held,
    /// everything committed). Statistics are attributes, that is HDF5 metadata, which rows never touch in place: the
    /// file is copied, the copy gets them, and the copy is renamed over the cache, as when a teacher is added. The
    /// original stays open until the rename, and `<cache>.lock` stays held until the file is closed after it, so no other
    /// writer can copy the cache in between. A shard file gets none: `mvd merge`
    /// computes them over the merged rows, so they would be a copy of each shard for nothing.
    private func addStatisticsLocked() throws {
        guard shard.isWhole else { return }
        var computed: [(String, FeatureStatistics)] = []
        for name in runTeachers {
            let teacher = try cache.teacher(name)
            guard let flags = done[name], CacheFile.isComplete(status: status, done: flags, rowsPerVideo: rowsPerVideo),
                try !cache.hasStatistics(teacher), let statistics = try cache.computeStatistics(teacher)
            else { continue }
            computed.append((name, statistics))
        }
        guard !computed.isEmpty else { return }
        try AtomicFile.replace(url, keepingOriginal: true) { temporary in
            let copy = try CacheFile(at: temporary, writable: true)
            defer { copy.close() }
            for (name, statistics) in computed { try copy.writeStatistics(statistics, teacher: name) }
            try copy.file.flush()
        }
        for (name, statistics) in computed { writtenStatistics[name] = statistics }
    }

    // MARK: - Internals

    private func prepareFeatures(row: Int, teacher: String, count: Int) throws -> (Int, TeacherDatasets) {
        let local = try localRow(row)
        guard runTeachers.contains(teacher) else {
            throw FeatureStoreError(
                .unknownTeacher,
                "teacher \"\(teacher)\" is not part of this run "
                    + "(\(runTeachers.joined(separator: ", "))); add it to the request.")
        }
        let dataset = try cache.teacher(teacher)
        guard count == dataset.spec.rowElements else {
            throw FeatureStoreError(
                .invalidArgument,
                "row \(row) of \(teacher): \(count) values, expected "
                    + "L*D = \(dataset.spec.tokenCount)*\(dataset.spec.embedDim) = \(dataset.spec.rowElements).")
        }
        guard done[teacher]?[local] != 1 else {
            throw FeatureStoreError(
                .invalidArgument,
                "row \(row) of \(teacher) is already committed and is never "
                    + "rewritten; skip rows where isDone(row:teacher:) is true.")
        }
        guard stagedViews.contains(local) || done.values.contains(where: { $0[local] == 1 }) else {
            throw FeatureStoreError(
                .invalidArgument,
                "row \(row) has no view yet; call writeView(row:_:pixels:) "
                    + "before its features.")
        }
        return (local, dataset)
    }

    /// Quantises one row and writes its codes and scales (lock held).
    private func writeInt8(
        row: Int, _ local: Int, _ dataset: TeacherDatasets,
        _ values: UnsafeBufferPointer<Float>
    ) throws {
        guard let scaleDataset = dataset.scale else { preconditionFailure("an int8 teacher is opened with its scales") }
        let width = dataset.spec.embedDim
        var codes = [Int8](repeating: 0, count: values.count)
        var scales = [Float](repeating: 0, count: dataset.spec.tokenCount)
        let bad = codes.withUnsafeMutableBufferPointer { c in
            scales.withUnsafeMutableBufferPointer { Int8Quantization.quantize(values, width: width, codes: c, scales: $0) }
        }
        if let bad {
            let (token, channel) = bad.quotientAndRemainder(dividingBy: width)
            throw FeatureStoreError(
                .invalidArgument,
                "row \(row) of \(dataset.spec.name): value \(values[bad]) at "
                    + "token \(token), channel \(channel) is not finite and has no int8 code; check "
                    + "the teacher that produced it.")
        }
        try dataset.features.write(rows: local..<local + 1, memType: dataset.storedType, codes)
        try scaleDataset.write(rows: local..<local + 1, memType: swh5_T_IEEE_F32LE(), scales)
    }

    private func stage(_ local: Int, _ teacher: String) throws {
        stagedDone[teacher, default: []].insert(local)
        try commitIfDue()
    }

    /// Commits (lock held) once `commitEvery` rows of some teacher, or `commitEvery` videos, are staged.
    private func commitIfDue() throws {
        let rows = stagedDone.values.map(\.count).max() ?? 0
        if rows >= commitEvery || stagedStatus.count >= commitEvery { try commitLocked() }
    }

    private func setFlag(_ dataset: H5Dataset, _ index: Int, _ value: UInt8) throws {
        try dataset.write(rows: index..<index + 1, [value])
    }

    private func flushToDisk() throws {
        try cache.file.flush()
        try AtomicFile.sync(url)
    }

    func storedViewLocked(_ local: Int) throws -> RowView {
        let frames = try cache.clipFrames.read(rows: local..<local + 1, as: Int32.self)
        let crop = try cache.clipCrop.read(rows: local..<local + 1, as: Int32.self).map(Int.init)
        return RowView(frames: frames.map(Int.init), crop: (crop[0], crop[1], crop[2], crop[3]))
    }
}
