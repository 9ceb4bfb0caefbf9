"""Messages of the trust fixes to importing: date orders, whole-column problems, files with no valid row."""

MESSAGES: dict[str, tuple[str, str]] = {
    "ingest.field.occurred_at:mdy": ("日期时间（月/日/年）", "Date/time (month first, MM/DD/YYYY)"),
    "ingest.field.occurred_at:dmy": ("日期时间（日/月/年）", "Date/time (day first, DD/MM/YYYY)"),
    "ingest.field.occurred_at:ymd": ("日期时间（仅年份在前）", "Date/time (year first only)"),
    "ingest.dates.order_mdy": ("月在前（MM/DD/YYYY）", "month first (MM/DD/YYYY)"),
    "ingest.dates.order_dmy": ("日在前（DD/MM/YYYY）", "day first (DD/MM/YYYY)"),
    "ingest.dates.order_ymd": ("仅接受年份在前的日期", "year-first dates only"),
    "ingest.dates.chosen": ("列「{column}」的日期按所选顺序读取：{order}。",
                            "Column '{column}': dates read {order}, as chosen."),
    "ingest.dates.inferred": ("列「{column}」的日期按其数值判断为：{order}。",
                              "Column '{column}': dates read {order}, as its values show."),
    "ingest.dates.default": (
        "列「{column}」的日期无法从数值判断顺序（各部分都不大于 12），按默认读取：{order}"
        "（英文表头默认月在前，其他默认日在前）。如不对，请在列映射中选择日期顺序，或在命令行使用 --date-order。",
        "Column '{column}': no value shows the order of its dates (every part is 12 or less), so they were read "
        "{order}: the default under an English header (day first under others). If that is wrong, choose the "
        "date order in the column mapping, or pass --date-order on the command line."),
    "ingest.column_issue": (
        "列「{column}」：{rows} 行中有 {count} 行{reason}。该列的值形如「{shape}」，例如「{example}」。",
        "Column '{column}': {count} of {rows} rows: {reason}. Its values look like '{shape}', e.g. '{example}'."),
    "ingest.fix.bad_date": (
        "可读取的日期形式：2024-09-15、2024/9/15、2024年9月15日、20240915、09/15/2024（月在前或日在前，可在列映射中"
        "选择，命令行用 --date-order mdy|dmy），以及 Excel 日期。请检查该列是否真是日期，或将其转换为上述形式。",
        "Dates are read as 2024-09-15, 2024/9/15, 20240915, 09/15/2024 (month or day first: choose it in the "
        "column mapping, or --date-order mdy|dmy on the command line) and Excel dates. Check that the column "
        "really holds dates, or convert it to one of these forms."),
    "ingest.fix.mapping": ("请检查列映射：列「{column}」是否映射到了正确的字段？",
                           "Check the column mapping: is column '{column}' mapped to the right field?"),
    "ingest.err.no_valid_rows": ("文件 {file} 的 {rows} 行数据中没有一行有效，未导入任何数据。",
                                 "File {file}: none of its {rows} rows is valid; nothing was imported."),
}
