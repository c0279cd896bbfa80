//! Parquet files: string columns are redacted value by value, every other
//! column is written back unchanged, rows keep their order, and the
//! writer keeps the input's compression.
//!
//! Values are scanned on worker threads, and pseudonyms for values the
//! vault does not know yet are created afterwards in row order, as for
//! JSONL and CSV, so that the output does not depend on the thread count.
//! Only top-level `Utf8` and `LargeUtf8` columns are redacted; strings
//! nested in lists or structs are left as they are (and reported).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, LargeStringArray, RecordBatch, StringArray,
};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use hush_detect::Kind;

use super::{Batch, BatchError, BatchReport, Find, Lookup};

/// One value's findings, in rows of one column.
struct Cell {
    finds: Vec<Find>,
}

impl Batch<'_> {
    /// Redacts a Parquet file into `dest` (None: count only).
    pub(super) fn parquet_file(
        &self,
        path: &Path,
        name: &str,
        dest: Option<&Path>,
        report: &mut BatchReport,
    ) -> Result<(), BatchError> {
        let pq_err = |e: parquet::errors::ParquetError| {
            BatchError::Io(path.into(), std::io::Error::other(e.to_string()))
        };
        let file =
            File::open(path).map_err(|e| BatchError::Io(path.into(), e))?;
        report.bytes_in += file.metadata().map(|m| m.len()).unwrap_or(0);
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq_err)?;
        let schema = builder.schema().clone();
        let compression = builder
            .metadata()
            .row_groups()
            .first()
            .and_then(|rg| rg.columns().first())
            .map(|c| c.compression());
        let reader = builder.build().map_err(pq_err)?;
        let selected: Vec<bool> = schema
            .fields()
            .iter()
            .map(|f| {
                matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8)
                    && (self.opts.columns.is_empty()
                        || self.opts.columns.iter().any(|c| c == f.name()))
            })
            .collect();
        for want in &self.opts.columns {
            if !schema.fields().iter().any(|f| f.name() == want) {
                return Err(BatchError::Usage(format!(
                    "{name}: no column named {want:?}"
                )));
            }
        }
        let mut writer = match dest {
            Some(d) => {
                let mut props = WriterProperties::builder();
                if let Some(c) = compression {
                    props = props.set_compression(c);
                }
                let f = File::create(d)
                    .map_err(|e| BatchError::Io(d.into(), e))?;
                Some(
                    ArrowWriter::try_new(
                        f,
                        schema.clone(),
                        Some(props.build()),
                    )
                    .map_err(pq_err)?,
                )
            }
            None => None,
        };
        for batch in reader {
            let batch = batch.map_err(|e| {
                BatchError::Io(
                    path.into(),
                    std::io::Error::other(e.to_string()),
                )
            })?;
            let mut columns: Vec<ArrayRef> =
                Vec::with_capacity(batch.num_columns());
            for (i, col) in batch.columns().iter().enumerate() {
                if !selected[i] {
                    columns.push(col.clone());
                    continue;
                }
                let field = schema.field(i).name().clone();
                columns.push(self.redact_column(col, &field, report)?);
            }
            report.records_in += batch.num_rows() as u64;
            report.records_out += batch.num_rows() as u64;
            let out = RecordBatch::try_new(schema.clone(), columns).map_err(
                |e| {
                    BatchError::Io(
                        path.into(),
                        std::io::Error::other(e.to_string()),
                    )
                },
            )?;
            if let Some(w) = writer.as_mut() {
                w.write(&out).map_err(pq_err)?;
            }
            if let Some(progress) = self.progress {
                progress(
                    out.get_array_memory_size() as u64,
                    out.num_rows() as u64,
                );
            }
        }
        if let Some(w) = writer {
            w.close().map_err(pq_err)?;
        }
        if let Some(d) = dest {
            report.bytes_out +=
                std::fs::metadata(d).map(|m| m.len()).unwrap_or(0);
        }
        Ok(())
    }

    /// The column with its values redacted.
    fn redact_column(
        &self,
        col: &ArrayRef,
        field: &str,
        report: &mut BatchReport,
    ) -> Result<ArrayRef, BatchError> {
        let values: Vec<Option<&str>> = if let Some(a) =
            col.as_any().downcast_ref::<StringArray>()
        {
            a.iter().collect()
        } else if let Some(a) = col.as_any().downcast_ref::<LargeStringArray>()
        {
            a.iter().collect()
        } else {
            return Ok(col.clone());
        };
        // Scan in parallel, in contiguous slices of rows.
        let threads = self.opts.threads.max(1);
        let per = values.len().div_ceil(threads).max(1);
        let cells: Vec<Option<Cell>> = std::thread::scope(|s| {
            let handles: Vec<_> = values
                .chunks(per)
                .map(|rows| {
                    s.spawn(move || {
                        let mut lookup: Lookup<'_> = self.lookup();
                        rows.iter()
                            .map(|v| {
                                let v = (*v)?;
                                let finds =
                                    self.finds(v.as_bytes(), &mut lookup);
                                (!finds.is_empty()).then_some(Cell { finds })
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        // New values in row order, then the column.
        let missing: Vec<(Kind, &str)> = cells
            .iter()
            .flatten()
            .flat_map(|c| c.finds.iter())
            .filter(|f| f.pseudonym.is_none())
            .map(|f| (f.kind, f.value.as_str()))
            .collect();
        let mut fresh = if missing.is_empty() {
            Vec::new()
        } else {
            self.red
                .scope()
                .pseudonymise_batch(&missing)
                .map_err(|e| BatchError::Vault(e.into()))?
        }
        .into_iter();
        let counts = report.findings.entry(field.to_string()).or_default();
        let mut out: Vec<Option<String>> = Vec::with_capacity(values.len());
        for (v, cell) in values.iter().zip(&cells) {
            let (Some(v), Some(cell)) = (v, cell) else {
                out.push(v.map(str::to_string));
                continue;
            };
            let mut new = String::with_capacity(v.len());
            let mut last = 0;
            for f in &cell.finds {
                new.push_str(&v[last..f.range.start]);
                match &f.pseudonym {
                    Some(p) => new.push_str(p),
                    None => new.push_str(&fresh.next().unwrap_or_default()),
                }
                last = f.range.end;
                *counts.entry(f.kind.as_str()).or_insert(0) += 1;
            }
            new.push_str(&v[last..]);
            out.push(Some(new));
        }
        Ok(if col.data_type() == &DataType::LargeUtf8 {
            Arc::new(LargeStringArray::from(out)) as ArrayRef
        } else {
            Arc::new(StringArray::from(out)) as ArrayRef
        })
    }
}
