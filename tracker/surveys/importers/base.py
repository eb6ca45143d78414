"""Plain result types and errors shared by all survey importers.

Importers are pure: bytes in, these dataclasses out. Nothing here knows about
the database or the Flask app.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Format names; 'generic' is a raw-response table with one header row that
# matches no known tool (always reported as unsure).
FINDINGS = "findings"
RAW_FORMATS = ("qualtrics", "surveymonkey", "googleforms", "msforms", "limesurvey", "generic")
FORMATS = (FINDINGS,) + RAW_FORMATS

# Question kinds. 'skip' is only valid as a caller override ("do not import").
LIKERT5 = "likert5"
GRADE10 = "grade10"
YESNO = "yesno"
OPEN = "open"
SKIP = "skip"
KINDS = (LIKERT5, GRADE10, YESNO, OPEN)
SCALE_RANGES = {LIKERT5: (1.0, 5.0), GRADE10: (1.0, 10.0), YESNO: (0.0, 1.0)}


class SurveyFileError(ValueError):
    """A problem with the uploaded file that the user can fix.

    `message` is a translatable lazy string; `row` and `column` (1-based row
    number as a spreadsheet shows it, column header text) point at the spot.
    """

    def __init__(self, message, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column

    def __str__(self) -> str:
        return str(self.message)


class ScaleUnknown(SurveyFileError):
    """The scale of some questions cannot be inferred; the UI should ask.

    `keys` lists the question keys; `observed` maps each key to the
    (lowest, highest) numeric answer seen, or None when there was none.
    """

    def __init__(self, message, keys: list[str], observed: dict | None = None):
        super().__init__(message)
        self.keys = list(keys)
        self.observed = dict(observed or {})


@dataclass(frozen=True)
class ColumnInfo:
    index: int  # 0-based position in the file
    key: str  # stable id: export tag (Qualtrics) or the header text
    text: str  # question text as shown to respondents
    metadata: bool = False  # ids, dates, e-mail, durations...


@dataclass
class DetectedFile:
    format: str  # one of FORMATS
    container: str  # 'csv' or 'xlsx'
    encoding: str | None  # None for xlsx
    delimiter: str | None  # None for xlsx
    header_rows: int
    confidence: float  # 0..1
    unsure: bool  # the UI should offer the manual override
    columns: list[ColumnInfo] = field(default_factory=list)
    department_columns: list[ColumnInfo] = field(default_factory=list)  # best first
    department_block_labels: list[str] = field(default_factory=list)  # e.g. ['ICT', 'HR']


@dataclass
class ParsedQuestion:
    key: str
    text: str
    kind: str  # one of KINDS
    theme: str | None = None
    invalid_count: int = 0  # answers that were not understood and ignored
    invalid_examples: tuple[str, ...] = ()
    #: A text field scored as a 1-10 grade because its answers were whole numbers 1-10.
    typed_grade: bool = False

    @property
    def scale(self) -> tuple[float, float] | None:
        return SCALE_RANGES.get(self.kind)


@dataclass
class QuestionResult:
    score: float | None  # mean; share of "yes" (0..1) for yes/no questions
    n: int  # valid answers (comments for open questions)
    sd: float | None = None  # sample standard deviation
    benchmark: float | None = None
    previous: float | None = None
    suppressed: bool = False  # score withheld for anonymity


@dataclass
class DepartmentResult:
    name: str
    respondents: int
    results: dict[str, QuestionResult] = field(default_factory=dict)  # by question key
    comments: list[tuple[str | None, str]] = field(default_factory=list)  # (question key, text)
    withheld_comments: int = 0
    suppressed: bool = False  # fewer respondents than the anonymity threshold
    #: (question key, question key) -> (respondents who answered both, sample covariance over
    #: them): for the precision of an action's effect; empty for files without raw answers.
    covariances: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)


@dataclass
class SkippedColumn:
    key: str
    text: str
    reason: str  # 'metadata', 'department', 'categorical', 'multiple-choice', 'empty', 'override', 'outside-blocks'


@dataclass
class ParsedSurvey:
    format: str
    encoding: str | None
    respondents: int  # data rows (findings: sum of department sizes)
    questions: list[ParsedQuestion]
    departments: dict[str, DepartmentResult]
    # 'column', 'fixed', 'blocks', 'file' (findings) or 'none' (no department known:
    # only `overall` is filled and the UI should ask for a department source).
    department_source: str = "none"
    department_column: str | None = None
    overall: DepartmentResult | None = None  # all respondents together (raw formats)
    unassigned_respondents: int = 0  # rows whose department answer was empty
    skipped_columns: list[SkippedColumn] = field(default_factory=list)
    warnings: list = field(default_factory=list)  # translatable lazy strings

    def question(self, key: str) -> ParsedQuestion:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)
