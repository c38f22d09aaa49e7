"""Vietnamese names of the issue codes, for the columns a clerk reads ("Loại lỗi" in the intake and consolidated
workbooks). The kebab-case code stays the key in JSON, the store and docs/issue-codes.md."""

from __future__ import annotations

from .issues import CATALOGUE

LABELS = {
    "file-skipped": "Tệp không phải bảng tính", "file-already-collected": "Đã tiếp nhận trước đó",
    "file-seen-rejected": "Đã trả lại, chưa có bản sửa", "file-seen-rejected-replaced": "Đã trả lại, đã có bản sửa", "file-seen-rejected-unknown": "Đã trả lại, không rõ đơn vị",
    "file-other-round": "Tệp của kỳ khác", "file-other-round-replaced": "Tệp của kỳ khác, đã có bản đúng",
    "file-empty": "Tệp rỗng", "file-not-spreadsheet": "Không phải bảng tính", "file-unreadable": "Tệp hỏng, không đọc được",
    "file-encrypted": "Tệp có mật khẩu", "file-too-large": "Tệp quá lớn", "file-timeout": "Đọc tệp quá lâu",
    "file-failed": "Không đọc được tệp", "feedback-failed": "Không tạo được tệp phản hồi",
    "macros-ignored": "Có macro (bỏ qua)", "external-links": "Liên kết ngoài (bỏ qua)",
    "form-unidentified": "Không nhận ra biểu mẫu", "form-mismatch": "Sai biểu mẫu", "form-version-old": "Biểu mẫu cũ",
    "form-period-mismatch": "Biểu mẫu của kỳ khác", "period-mismatch": "Sai kỳ báo cáo",
    "unit-unidentified": "Không xác định được đơn vị", "unit-unknown": "Đơn vị không có trong danh sách",
    "unit-not-expected": "Đơn vị không thuộc diện nộp", "metadata-missing": "Thiếu thông tin đơn vị, kỳ",
    "duplicate-submission": "Nộp nhiều bản", "resubmission": "Bản gửi lại", "older-submission": "Bản cũ hơn",
    "container-opened": "Đã mở tệp nén, thư", "archive-member-refused": "Tệp trong tệp nén bị từ chối",
    "archive-member-unreadable": "Tệp trong tệp nén bị hỏng", "archive-encrypted": "Tệp nén có mật khẩu",
    "archive-too-many": "Tệp nén quá nhiều tệp", "archive-tool-missing": "Thiếu chương trình giải nén RAR",
    "progress-actual-up": "Giá trị tăng, ngược mục tiêu giảm",
    "file-not-judged": "Chưa xét (sự cố của máy)", "file-not-regular": "Không phải tệp thường (lối tắt, ống)",
    "late-submission": "Nộp muộn", "issues-capped": "Quá nhiều lỗi (đã cắt bớt)", "sheet-missing": "Thiếu trang",
    "sheet-extra": "Trang thừa", "header-not-found": "Không tìm thấy dòng tiêu đề", "column-missing": "Thiếu cột",
    "column-missing-optional": "Thiếu cột không bắt buộc", "column-renamed": "Cột bị đổi tên",
    "column-moved": "Cột bị đổi chỗ", "column-extra": "Cột thừa", "rows-truncated": "Quá nhiều dòng (đã cắt bớt)",
    "missing-value": "Thiếu giá trị bắt buộc", "formula-no-value": "Công thức không có giá trị",
    "table-footer": "Dòng tổng cộng, chữ ký (bỏ qua)", "rows-below-footer": "Dòng dưới phần chữ ký",
    "type-error": "Sai kiểu dữ liệu", "date-invalid": "Ngày không hợp lệ", "choice-error": "Giá trị ngoài danh sách", "out-of-range": "Ngoài khoảng cho phép",
    "pattern-error": "Sai dạng mã", "duplicate-key": "Trùng mã", "merged-cells": "Ô bị gộp",
    "text-too-long": "Nội dung quá dài", "control-characters": "Ký tự lạ (đã bỏ)",
    "legacy-encoding": "Phông chữ cũ (đã chuyển)", "legacy-encoding-suspected": "Nghi phông chữ cũ",
    "date-order": "Ngày không hợp lý", "status-percent": "Tình trạng và % không khớp",
    "delay-cause-missing": "Thiếu nguyên nhân chậm", "outside-period": "Ngoài kỳ",
    "definition-rule": "Vi phạm quy tắc của biểu mẫu",
    "qualitative-task": "Nhiệm vụ chưa lượng hóa", "generic-wording": "Nội dung chung chung",
    "copied-task": "Nhiệm vụ giống đơn vị khác", "copied-report": "Báo cáo sao chép",
    "progress-percent-down": "% hoàn thành giảm", "progress-actual-down": "Giá trị đạt được giảm",
    "progress-done-undone": "Đã hoàn thành nay báo chưa", "adjust-no-request": "Thiếu đề nghị điều chỉnh",
    "adjust-missing-value": "Đề nghị điều chỉnh thiếu nội dung", "adjust-task-unknown": "Điều chỉnh nhiệm vụ không có",
    "adjust-code-exists": "Mã nhiệm vụ bổ sung đã có", "confirm-revise": "Văn phòng đề nghị sửa",
    "confirm-refused": "Văn phòng không đồng ý", "task-unknown": "Nhiệm vụ chưa đăng ký",
    "task-missing": "Thiếu nhiệm vụ đã đăng ký", "parent-unknown": "Nhiệm vụ cấp trên không có",
    "task-adjusted": "Nhiệm vụ đã điều chỉnh", "leader-other-unit": "Lãnh đạo đơn vị khác",
    "leader-by-name": "Ghi tên thay mã lãnh đạo", "completed-date-missing": "Thiếu ngày hoàn thành",
    "completed-date-invalid": "Ngày hoàn thành không hợp lý", "registry-sheet-missing": "Danh sách thiếu trang",
    "registry-column-missing": "Danh sách thiếu cột", "registry-duplicate-code": "Danh sách trùng mã",
    "registry-empty-name": "Danh sách thiếu tên", "registry-empty-code": "Danh sách thiếu mã",
    "registry-unknown-parent": "Đơn vị cấp trên không có", "registry-cycle": "Cây đơn vị bị vòng",
    "registry-unknown-unit": "Mã đơn vị không có", "registry-bad-value": "Giá trị không hợp lệ trong danh sách",
}


def issue_label(code: str) -> str:
    """The Vietnamese name of an issue code (a code without one is shown as its message's kind: never English)."""
    if code in LABELS:
        return LABELS[code]
    c = CATALOGUE.get(code)
    return c.severity.label if c is not None else code


__all__ = ["LABELS", "issue_label"]
