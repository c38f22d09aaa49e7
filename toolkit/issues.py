"""Issue codes, the single catalogue of everything the toolkit can report about data.

Every finding about a received workbook, a unit registry or a round is an :class:`Issue` made with
:func:`make_issue`, which rejects codes that are not in :data:`CATALOGUE`. Messages and hints are
Vietnamese templates (``str.format`` fields filled from the issue's ``params``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    ERROR = "error"  # blocks acceptance of the file
    WARNING = "warning"  # accepted, but the unit should look at it
    INFO = "info"  # a note (file skipped, already collected)

    @property
    def label(self) -> str:
        return {"error": "Lỗi", "warning": "Cảnh báo", "info": "Ghi chú"}[self.value]


class Scope(str, enum.Enum):
    FILE = "file"
    SHEET = "sheet"
    ROW = "row"
    CELL = "cell"
    ROUND = "round"
    REGISTRY = "registry"


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    scope: Scope
    message: str
    hint: str = ""


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
F, S, R, C = Scope.FILE, Scope.SHEET, Scope.ROW, Scope.CELL

_CODES = [
    # --- files -------------------------------------------------------------------------------
    Code("file-skipped", I, F, "Bỏ qua tệp không phải bảng tính ({reason}).",
         "Chỉ đặt vào thư mục inbox các tệp Excel (.xlsx, .xlsm, .xls, .ods) do đơn vị gửi về."),
    Code("file-not-regular", W, F, "Bỏ qua mục trong thư mục inbox: {kind}.",
         "Chép chính tệp đơn vị gửi (không phải lối tắt hay mục đặc biệt) vào thư mục inbox rồi tiếp nhận lại."),
    Code("file-not-judged", W, F, "Chưa xét được tệp: {what}.",
         "Đây là sự cố của máy, không phải lỗi của tệp: không ghi gì cho đơn vị, không cần đơn vị gửi lại. Khắc phục "
         "sự cố rồi chạy lại lệnh tiếp nhận; tệp sẽ được đọc lại."),
    Code("file-already-collected", I, F, "Tệp này đã được tiếp nhận trước đó (trùng nội dung); không xử lý lại.",
         "Không cần làm gì."),
    Code("file-seen-rejected", E, F,
         "Tệp này (trùng nội dung) đã được xét trước đó và không được tiếp nhận ({errors} lỗi); chưa có bản sửa.",
         "Gửi lại đơn vị tệp phản hồi (thư mục feedback) và chờ bản đã sửa."),
    Code("file-seen-rejected-replaced", I, F,
         "Tệp này đã được xét trước đó và không được tiếp nhận; đơn vị đã gửi bản sửa '{other}'.",
         "Không cần làm gì; có thể chuyển tệp cũ ra khỏi thư mục inbox."),
    Code("file-seen-rejected-unknown", W, F,
         "Tệp này đã được xét trước đó và không được tiếp nhận: không xác định được đơn vị gửi.",
         "Nếu không phải báo cáo của đơn vị, chuyển tệp ra khỏi thư mục inbox; nếu là của một đơn vị chưa có trong "
         "danh sách đơn vị, thêm đơn vị vào danh sách (tệp sẽ được đọc lại); nếu không, đề nghị đơn vị gửi lại trên "
         "biểu mẫu Văn phòng đã gửi cho đơn vị."),
    Code("file-other-round", E, F,
         "Tệp này trùng nội dung với tệp '{other}' đã nhận ở kỳ {found}, không phải tệp của kỳ {expected}.",
         "Báo cáo kỳ {expected} gửi trên biểu mẫu Văn phòng gửi cho kỳ này, không gửi lại tệp của kỳ khác."),
    Code("file-other-round-replaced", I, F,
         "Tệp này trùng nội dung với tệp '{other}' đã nhận ở kỳ {found}; cho kỳ {expected}, đơn vị đã nộp '{now}'.",
         "Không cần làm gì; có thể chuyển tệp này ra khỏi thư mục inbox."),
    Code("file-empty", E, F, "Tệp rỗng (0 byte).", "Đề nghị đơn vị gửi lại tệp."),
    Code("file-not-spreadsheet", E, F, "Tệp có đuôi {ext} nhưng nội dung không phải bảng tính ({detail}).",
         "Đề nghị đơn vị mở biểu mẫu bằng Excel, điền và lưu đúng dạng .xlsx rồi gửi lại."),
    Code("file-unreadable", E, F, "Không đọc được tệp: {detail}.",
         "Tệp có thể bị hỏng khi gửi. Đề nghị đơn vị mở bằng Excel, lưu lại dạng .xlsx và gửi lại."),
    Code("file-encrypted", E, F, "Tệp được đặt mật khẩu nên không thể đọc.",
         "Đề nghị đơn vị gỡ mật khẩu (File > Info > Protect Workbook > Encrypt with Password) và gửi lại."),
    Code("file-too-large", E, F, "Tệp vượt giới hạn an toàn: {detail}.",
         "Biểu mẫu thật chỉ vài trăm KB. Đề nghị đơn vị dùng đúng biểu mẫu, xoá dữ liệu thừa và gửi lại."),
    Code("file-timeout", E, F, "Đọc tệp quá {seconds} giây nên đã dừng.",
         "Đề nghị đơn vị lưu lại tệp bằng Excel (dạng .xlsx) và gửi lại."),
    Code("file-failed", E, F, "Không xử lý được tệp ở bước {stage}: {detail}.",
         "Các tệp khác vẫn được tiếp nhận. Đề nghị đơn vị mở tệp bằng Excel, lưu lại dạng .xlsx và gửi lại; "
         "nếu vẫn lỗi, gửi tệp cho người quản trị."),
    Code("feedback-failed", W, F, "Không tạo được tệp phản hồi cho tệp này: {detail}.",
         "Tệp vẫn được xét như thường; gửi đơn vị danh sách lỗi trong bảng kết quả tiếp nhận."),
    Code("macros-ignored", W, F, "Tệp có chứa macro (VBA); macro không được chạy và bị bỏ qua.",
         "Lần sau đề nghị lưu dạng .xlsx (không macro)."),
    Code("external-links", W, F, "Tệp có liên kết tới tệp/nguồn bên ngoài; liên kết bị bỏ qua.",
         "Đề nghị dán giá trị (Paste Values) thay cho công thức liên kết."),
    Code("form-unidentified", E, F,
         "Không nhận ra biểu mẫu: tệp không có trang thông tin ẩn và không khớp biểu mẫu nào của đợt này.",
         "Đây không phải biểu mẫu do Văn phòng phát hành. Đề nghị đơn vị dùng đúng tệp biểu mẫu đã gửi."),
    Code("form-mismatch", E, F, "Tệp thuộc biểu mẫu '{found}', không phải biểu mẫu '{expected}' của lần tiếp nhận này.",
         "Kiểm tra lại tệp hoặc tiếp nhận theo đúng biểu mẫu."),
    Code("form-version-old", W, F, "Tệp dùng biểu mẫu phiên bản {found}, phiên bản hiện hành là {expected}.",
         "Lần sau dùng biểu mẫu mới nhất Văn phòng gửi."),
    Code("form-period-mismatch", E, F, "Biểu mẫu '{form}' không dùng cho kỳ {period} ({kind}).",
         "Kiểm tra lại tệp: biểu mẫu này dùng cho kỳ {kinds}."),
    Code("period-mismatch", E, F, "Tệp là biểu mẫu của kỳ {found}, không phải kỳ {expected}.",
         "Kiểm tra lại tệp: có thể đơn vị gửi nhầm tệp của kỳ khác."),
    Code("unit-unidentified", E, F, "Không xác định được đơn vị gửi tệp.",
         "Ghi đúng mã đơn vị ở ô 'Mã đơn vị' hoặc dùng lại biểu mẫu đã được gửi cho đơn vị."),
    Code("unit-unknown", E, F, "Mã đơn vị '{unit_code}' không có trong danh sách đơn vị.",
         "Kiểm tra mã đơn vị hoặc bổ sung đơn vị vào danh sách đơn vị của Văn phòng."),
    Code("unit-not-expected", W, F, "Đơn vị '{unit_code}' không thuộc diện phải nộp biểu mẫu này.",
         "Kiểm tra lại danh sách đơn vị phải nộp."),
    Code("metadata-missing", W, F, "Tệp đã mất trang thông tin ẩn; đã nhận dạng theo {source}.",
         "Đề nghị đơn vị điền trực tiếp vào tệp biểu mẫu được gửi, không sao chép sang tệp mới."),
    Code("duplicate-submission", W, F, "Cùng đơn vị và kỳ báo cáo với tệp '{other}'; tệp nộp sau được dùng.",
         "Kiểm tra xem đơn vị có gửi nhiều bản không."),
    Code("resubmission", I, F, "Bản nộp lại; thay thế bản nộp trước ({other}) trong báo cáo, bản cũ vẫn lưu trong lịch sử.",
         ""),
    Code("older-submission", I, F, "Tệp cũ hơn bản đã tiếp nhận ({other}); chỉ lưu vào lịch sử, không thay thế.", ""),
    Code("late-submission", W, F, "Nộp muộn {days} ngày (hạn nộp {deadline}).", ""),
    Code("issues-capped", W, F, "Tệp có quá nhiều lỗi; chỉ liệt kê {limit} lỗi đầu tiên.",
         "Sửa các lỗi đã nêu rồi gửi lại để xem các lỗi còn lại."),
    # --- archives and messages (toolkit.mail) -----------------------------------------------
    Code("container-opened", I, F, "Đã mở tệp nén/thư: {count} bảng tính được tiếp nhận riêng{detail}.",
         "Các bảng tính lấy ra nằm trong thư mục _giai_nen của inbox, theo đường dẫn của tệp chứa chúng."),
    Code("archive-member-refused", E, F, "Không lấy tệp '{member}' trong tệp nén: {reason}.",
         "Đề nghị đơn vị nén lại đúng các tệp biểu mẫu (hoặc đính kèm trực tiếp) và gửi lại."),
    Code("archive-member-unreadable", E, F, "Không đọc được tệp '{member}' trong tệp nén: {detail}.",
         "Tệp nén có thể bị hỏng khi gửi. Đề nghị đơn vị gửi lại."),
    Code("archive-encrypted", E, F, "Tệp nén được đặt mật khẩu nên không mở được: {members}.",
         "Đề nghị đơn vị nén lại không đặt mật khẩu (hoặc đính kèm trực tiếp tệp Excel) và gửi lại."),
    Code("archive-too-many", E, F, "Tệp nén có quá {limit} tệp; các tệp sau bị bỏ qua.",
         "Đề nghị đơn vị chỉ nén các tệp biểu mẫu cần nộp."),
    Code("archive-tool-missing", W, F,
         "Máy này chưa có chương trình giải nén {kind} nên chưa lấy được tệp '{member}'.",
         "Cài chương trình ({fix}) rồi tiếp nhận lại; hoặc giải nén bằng tay vào thư mục inbox."),
    # --- sheets and columns -----------------------------------------------------------------
    Code("sheet-missing", E, S, "Không tìm thấy trang '{sheet}' của biểu mẫu.",
         "Không đổi tên hoặc xoá các trang của biểu mẫu."),
    Code("sheet-extra", I, S, "Trang '{sheet}' không thuộc biểu mẫu; đã bỏ qua.", ""),
    Code("header-not-found", E, S, "Không tìm thấy dòng tiêu đề cột của bảng trong trang '{sheet}'.",
         "Không xoá hoặc sửa dòng tiêu đề cột của biểu mẫu."),
    Code("column-missing", E, C, "Thiếu cột bắt buộc '{title}'.",
         "Không xoá cột của biểu mẫu; khôi phục cột '{title}' và điền dữ liệu."),
    Code("column-missing-optional", W, C, "Thiếu cột '{title}'.", "Khôi phục cột '{title}' của biểu mẫu."),
    Code("column-renamed", W, C, "Tiêu đề cột '{found}' đã bị sửa; đã hiểu là cột '{title}'.",
         "Giữ nguyên tiêu đề cột của biểu mẫu."),
    Code("column-moved", W, C, "Cột '{title}' bị chuyển chỗ (đúng ra ở cột {expected}).",
         "Giữ nguyên thứ tự cột của biểu mẫu."),
    Code("column-extra", W, C, "Cột '{found}' không thuộc biểu mẫu; dữ liệu cột này bị bỏ qua.",
         "Không thêm cột vào bảng; ghi thông tin bổ sung vào cột 'Ghi chú' nếu có."),
    Code("rows-truncated", E, S, "Trang có {rows} dòng, vượt giới hạn {limit} dòng.",
         "Xoá các dòng thừa (kể cả dòng trống có định dạng) rồi gửi lại."),
    # --- cells ------------------------------------------------------------------------------
    Code("missing-value", E, C, "Chưa điền '{title}'.", "Điền '{title}' cho dòng này."),
    Code("formula-no-value", E, C,
         "Ô '{title}' có công thức nhưng chưa có giá trị đã tính (tệp được lưu bởi phần mềm không tính công thức).",
         "Mở tệp bằng Excel, kiểm tra ô này rồi lưu lại và gửi lại (hoặc gõ trực tiếp giá trị thay cho công thức)."),
    Code("table-footer", I, R, "Bảng kết thúc ở dòng {row}: từ dòng này trở đi là {what}, không tính là dữ liệu.",
         ""),
    Code("rows-below-footer", E, R,
         "Dòng {row} có dữ liệu nhiệm vụ nhưng nằm dưới {what} (dòng {end}); bảng phải liền một khối.",
         "Chuyển các dòng nhiệm vụ lên trên phần cuối biểu (tổng cộng, ghi chú, chữ ký) hoặc xoá phần cuối biểu "
         "xen giữa, rồi gửi lại."),
    Code("type-error", E, C, "Giá trị '{value}' ở cột '{title}' không phải {expected}.",
         "Nhập {expected}{example}."),
    Code("date-invalid", E, C, "Ngày '{value}' ở cột '{title}' không hợp lệ: {why}.",
         "Kiểm tra lại ngày, tháng, năm rồi nhập một ngày có thật (dd/mm/yyyy)."),
    Code("choice-error", E, C, "Giá trị '{value}' ở cột '{title}' không có trong danh sách.",
         "Chọn một giá trị trong danh sách thả xuống: {choices}."),
    Code("out-of-range", E, C, "Giá trị {value} ở cột '{title}' ngoài khoảng cho phép ({bounds}).",
         "Nhập giá trị trong khoảng {bounds}."),
    Code("pattern-error", E, C, "Giá trị '{value}' ở cột '{title}' không đúng quy cách.", "{help}"),
    Code("duplicate-key", E, C, "'{value}' bị trùng với dòng {other_row}.", "Mỗi dòng phải có '{title}' khác nhau."),
    Code("merged-cells", W, C, "Ô gộp {range} trong vùng dữ liệu; giá trị được hiểu cho từng dòng.",
         "Không gộp ô trong bảng dữ liệu; mỗi dòng điền đủ giá trị."),
    Code("text-too-long", W, C, "Nội dung dài {length} ký tự, vượt {limit} ký tự; đã cắt bớt khi lưu.",
         "Viết ngắn gọn, chỉ nêu vấn đề mới phát sinh và kiến nghị."),
    Code("control-characters", W, C, "Ô có ký tự điều khiển/không hợp lệ; đã loại bỏ.", ""),
    Code("legacy-encoding", W, C, "Chữ ở phông {encoding} ({font}) đã được chuyển sang Unicode: '{preview}'.",
         "Lần sau đề nghị gõ bằng Unicode (phông Times New Roman)."),
    Code("legacy-encoding-suspected", W, C,
         "Nội dung có vẻ gõ bằng mã {encoding}; đã chuyển thành '{preview}' (gốc: '{original}', vẫn được lưu).",
         "Kiểm tra lại nội dung; lần sau đề nghị gõ bằng Unicode (phông Times New Roman)."),
    # --- cross-field and content rules --------------------------------------------------------
    Code("date-order", E, C, "'{title}' ({value}) trước '{other_title}' ({other}).",
         "Kiểm tra lại ngày tháng."),
    Code("status-percent", E, C, "{detail}",
         "Tình trạng '{done}' phải đi với 100%; đạt 100% thì chọn {done_words}."),
    Code("delay-cause-missing", E, C, "Trạng thái '{status}' nhưng chưa chọn '{title}'.",
         "Chọn nguyên nhân trong danh sách thả xuống."),
    Code("definition-rule", E, C, "{detail}", "{help}"),  # a rule of the definitions workbook: its own words
    Code("outside-period", W, C, "'{title}' ({value}) nằm ngoài {period_label} ({start} – {end}).",
         "Kiểm tra lại thời hạn."),
    Code("qualitative-task", W, R, "Nhiệm vụ '{title_text}' chưa có chỉ tiêu đo lường được ({detail}).",
         "Ghi rõ chỉ tiêu, đơn vị tính, giá trị mục tiêu và thời hạn để cuối năm đánh giá được."),
    Code("generic-wording", W, R, "Nhiệm vụ chỉ gồm từ ngữ chung chung ('{phrase}'), không có nội dung cụ thể.",
         "Nêu việc cụ thể, sản phẩm và số liệu cần đạt."),
    Code("copied-task", W, R, "Nội dung nhiệm vụ giống {similarity}% nhiệm vụ của: {others}.",
         "Nhiệm vụ cần sát với tình hình của đơn vị, không đăng ký rập khuôn."),
    Code("copied-report", W, R, "Kết quả báo cáo giống {similarity}% với {source}.",
         "Báo cáo cần nêu kết quả mới của kỳ này, vấn đề phát sinh và kiến nghị."),
    # --- against the task register -----------------------------------------------------------
    Code("progress-percent-down", W, C, "% hoàn thành giảm từ {old}% ({period_label}) xuống {new}%.",
         "Kiểm tra lại số liệu; nếu đúng là giảm, ghi rõ lý do ở cột '{note_title}'."),
    Code("progress-actual-down", W, C, "Giá trị đạt được giảm từ {old} ({period_label}) xuống {new}.",
         "Giá trị đạt được là số cộng dồn từ đầu năm; kiểm tra lại, nếu đúng là giảm thì ghi rõ lý do."),
    Code("progress-actual-up", W, C, "Giá trị đạt được tăng từ {old} ({period_label}) lên {new}, trong khi mục tiêu "
         "là giảm từ {baseline} xuống {target}.",
         "Kiểm tra lại số liệu; nếu đúng là tăng, ghi rõ lý do ở cột '{note_title}'."),
    Code("progress-done-undone", W, C,
         "Nhiệm vụ '{task}' đã báo cáo '{old}' ở {period_label}, kỳ này lại báo cáo '{new}'.",
         "Kiểm tra lại tình trạng; nếu kỳ trước báo cáo chưa đúng, ghi rõ ở cột '{results_title}'."),
    Code("adjust-no-request", W, C,
         "Nhiệm vụ '{task}' chọn tình trạng 'Đề nghị điều chỉnh' nhưng trang '{sheet_name}' không có đề nghị "
         "cho nhiệm vụ này.",
         "Ghi đề nghị ở trang '{sheet_name}': nội dung điều chỉnh, giá trị mới và lý do."),
    Code("adjust-missing-value", E, C, "Đề nghị '{change}' cho nhiệm vụ '{task}' chưa ghi {title}.",
         "Ghi giá trị mới đề nghị (thời hạn, mục tiêu hoặc nội dung) vào ô này."),
    Code("adjust-task-unknown", E, C,
         "Mã nhiệm vụ '{value}' đề nghị điều chỉnh không có trong danh mục nhiệm vụ của đơn vị.",
         "Dùng đúng mã nhiệm vụ ở trang báo cáo; nhiệm vụ mới thì chọn 'Bổ sung nhiệm vụ mới' và đặt mã mới."),
    Code("adjust-code-exists", E, C,
         "Mã '{value}' đề nghị bổ sung đã có trong danh mục nhiệm vụ của đơn vị.",
         "Đặt một mã mới cho nhiệm vụ bổ sung."),
    Code("confirm-revise", W, C, "Văn phòng đề nghị sửa nhiệm vụ '{task}': {note}",
         "Sửa nhiệm vụ theo ý kiến trên trong biểu mẫu đăng ký và gửi lại."),
    Code("confirm-refused", W, C, "Văn phòng không đồng ý đưa nhiệm vụ '{task}' vào danh mục: {note}",
         "Nhiệm vụ này không được tính; nếu cần, trao đổi với Văn phòng."),
    Code("task-unknown", E, C, "Mã nhiệm vụ '{value}' không có trong danh mục nhiệm vụ đã đăng ký của đơn vị.",
         "Dùng đúng mã nhiệm vụ đã đăng ký (không tự đặt mã mới trong báo cáo tiến độ)."),
    Code("task-missing", E, S, "Báo cáo thiếu nhiệm vụ đã đăng ký '{value}' ({title_text}).",
         "Báo cáo đủ tất cả nhiệm vụ đã đăng ký; không xoá dòng nhiệm vụ."),
    Code("parent-unknown", E, C, "Nhiệm vụ cấp trên '{value}' không có trong danh mục nhiệm vụ đã đăng ký.",
         "Ghi đúng mã nhiệm vụ của cấp trên mà nhiệm vụ này cụ thể hoá."),
    Code("task-adjusted", I, R, "Nhiệm vụ '{value}' được điều chỉnh: {detail}.", ""),
    Code("leader-other-unit", W, C, "Lãnh đạo {value} ({name}) thuộc {other}, không thuộc đơn vị gửi báo cáo.",
         "Kiểm tra lại mã lãnh đạo; giao việc cho lãnh đạo của chính đơn vị ({own})."),
    Code("leader-by-name", I, C, "Đã hiểu '{value}' là lãnh đạo mã {leader}.", "Lần sau ghi mã lãnh đạo ({leader})."),
    Code("completed-date-missing", W, C,
         "Nhiệm vụ '{task}' báo cáo '{status}' nhưng chưa ghi ngày hoàn thành; {detail}.",
         "Ghi ngày hoàn thành để đánh giá đúng hạn hay quá hạn."),
    Code("completed-date-invalid", E, C, "Ngày hoàn thành {value} sau ngày cuối kỳ báo cáo ({end}).",
         "Ghi đúng ngày đã hoàn thành (không ghi ngày dự kiến)."),
    # --- registry ----------------------------------------------------------------------------
    Code("registry-sheet-missing", E, S, "Danh sách đơn vị thiếu trang '{sheet}'.",
         "Dùng đúng mẫu danh sách đơn vị (trang 'Đơn vị' và 'Lãnh đạo')."),
    Code("registry-column-missing", E, C, "Trang '{sheet}' thiếu cột '{title}'.", "Bổ sung cột '{title}'."),
    Code("registry-duplicate-code", E, C, "Mã '{value}' bị trùng với dòng {other_row}.", "Mỗi mã chỉ dùng một lần."),
    Code("registry-empty-name", E, C, "Dòng có mã '{value}' chưa có tên.", "Điền tên."),
    Code("registry-empty-code", E, C, "Dòng chưa có mã.", "Điền mã (không dấu, không khoảng trắng)."),
    Code("registry-unknown-parent", E, C, "Đơn vị cấp trên '{value}' không có trong danh sách.",
         "Ghi mã đơn vị cấp trên có trong danh sách, hoặc để trống nếu là cấp cao nhất."),
    Code("registry-cycle", E, C, "Quan hệ cấp trên bị vòng lặp: {detail}.", "Sửa mã đơn vị cấp trên."),
    Code("registry-unknown-unit", E, C, "Lãnh đạo thuộc đơn vị '{value}' không có trong danh sách đơn vị.",
         "Ghi đúng mã đơn vị."),
    Code("registry-bad-value", E, C, "Giá trị '{value}' không hợp lệ ở cột '{title}'.", "{help}"),
]

CATALOGUE: dict[str, Code] = {c.code: c for c in _CODES}


class _Missing(dict):
    def __missing__(self, key: str) -> str:  # a template field with no value renders as "…"
        return "…"


@dataclass
class Issue:
    code: str
    severity: Severity
    message: str
    hint: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""
    row: int | None = None
    unit: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        d["params"] = {k: str(v) for k, v in self.params.items()}
        return d

    def where(self) -> str:
        parts = [p for p in (self.sheet and f"trang '{self.sheet}'", self.cell and f"ô {self.cell}") if p]
        if not self.cell and self.row:
            parts.append(f"dòng {self.row}")
        return ", ".join(parts)


def make_issue(code: str, *, file: str = "", sheet: str = "", cell: str = "", row: int | None = None,
               unit: str = "", severity: Severity | None = None, **params: Any) -> Issue:
    """The only way to create an Issue: the code must be in the catalogue."""
    try:
        spec = CATALOGUE[code]
    except KeyError:
        raise ValueError(f"unknown issue code {code!r}") from None
    where = {"file": file, "sheet": sheet, "cell": cell, "row": "" if row is None else row}  # usable in messages
    values = _Missing({**where, **{k: (_text(v) if k in WHOLE_PARAMS else _short(v)) for k, v in params.items()}})
    return Issue(code=code, severity=severity or spec.severity,
                 message=spec.message.format_map(values), hint=spec.hint.format_map(values),
                 file=file, sheet=sheet, cell=cell, row=row, unit=unit, params=dict(params))


# parameters written by the toolkit itself (lists of allowed values, names, explanations) or by the office (its
# opinion on a unit's task, which the unit must read whole) are never cut
WHOLE_PARAMS = {"choices", "others", "detail", "help", "own", "kinds", "stage", "source", "what", "note"}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _short(value: Any, limit: int = 80) -> str:
    """A value quoted from a unit's file, cut at a word boundary when long."""
    text = _text(value)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–") + "…"


@dataclass
class Report:
    """A list of issues with helpers to filter and flatten them."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        self.issues.extend(issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [i.code for i in self.issues]

    def flatten(self, *fields: str) -> list[tuple]:
        return [tuple(getattr(i, f) for f in fields) for i in self.issues]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": len(self.errors), "warnings": len(self.warnings),
                "issues": [i.to_dict() for i in self.issues]}


def catalogue_markdown() -> str:
    """The issue-code reference page (docs/issue-codes.md is generated from this)."""
    lines = ["# Mã lỗi / Issue codes", "",
             "Tạo tự động từ `toolkit/issues.py` (`toolkit codes --markdown`). Không sửa bằng tay.", "",
             "| Mã | Mức độ | Phạm vi | Thông báo | Cách sửa |", "|---|---|---|---|---|"]
    for c in _CODES:
        msg = c.message.replace("|", "\\|")
        hint = c.hint.replace("|", "\\|")
        lines.append(f"| `{c.code}` | {c.severity.label} | {c.scope.value} | {msg} | {hint} |")
    return "\n".join(lines) + "\n"
