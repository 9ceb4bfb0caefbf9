"""Capture limits: hostile and broken files (encodings, shapes, the workbook reader, control characters)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "ingest.err.encoding_line": (
        "文件 {file} 的文字编码不一致：第 {line} 行既不是 UTF-8 也不是 GBK/GB18030（或与其余各行编码不同）。"
        "请另存为 UTF-8 csv。",
        "The text encoding of {file} is inconsistent: line {line} is neither UTF-8 nor GBK/GB18030 (or differs "
        "from the other lines). Save it as UTF-8 csv.",
    ),
    "ingest.err.too_many_columns": (
        "文件 {file} 有 {columns} 列，超过 {limit} 列的上限。请删除多余的列后再上传。",
        "File {file} has {columns} columns, over the limit of {limit}. Remove the extra columns and upload again.",
    ),
    "ingest.err.too_many_cells": (
        "文件 {file} 的工作表超过 {limit} 个单元格的上限。请拆分，或另存为 csv（csv 没有这个上限）。",
        "A sheet of {file} has more than the limit of {limit} cells. Split it, or save it as csv (csv has no "
        "such limit).",
    ),
    "ingest.err.json_too_big": (
        "JSON 文件 {file} 有 {size}，超过 {limit} 的上限。请拆分，或改用 csv。",
        "JSON file {file} is {size}, over the limit of {limit}. Split it or use csv.",
    ),
    "ingest.err.json_depth": (
        "JSON 文件 {file} 嵌套超过 {limit} 层的上限。请导出为扁平的记录（每条记录一个对象）。",
        "JSON file {file} is nested deeper than the limit of {limit} levels. Export flat records (one object "
        "per record).",
    ),
    "ingest.err.reader_crashed": (
        "无法读取 Excel 文件 {file}：表格读取程序异常退出（{how}）。文件可能已损坏，或需要超过 {limit} 的内存。"
        "请在 Excel 中另存为 xlsx 或 csv 后再上传。",
        "Cannot read Excel file {file}: the spreadsheet reader stopped ({how}). The file may be damaged or need "
        "more than {limit} of memory. Save it again from Excel as xlsx or csv and upload that.",
    ),
    "ingest.err.reader_memory": (
        "无法读取 Excel 文件 {file}：读取它需要超过 {limit} 的内存。请拆分，或另存为 csv。",
        "Cannot read Excel file {file}: reading it needs more than {limit} of memory. Split it or save it as csv.",
    ),
    "ingest.err.unexpected": (
        "无法导入文件 {file}：{error}。文件未导入，数据库未改动。",
        "Cannot import file {file}: {error}. Nothing was imported.",
    ),
    "ingest.reason.encoding": (
        "含有不属于文件文字编码的字节（显示为 �），未导入以免存入乱码",
        "holds bytes that are not in the file's text encoding (shown as �); not imported, to store no garbled "
        "text",
    ),
    "ingest.reason.control": (
        "含有控制字符（如 NUL），该字段因此无效",
        "holds control characters (such as NUL) that make this field invalid",
    ),
}
