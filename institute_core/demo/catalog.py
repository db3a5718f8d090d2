"""The demo syllabus: 25 computer-training subjects, the modules their topics are built from,
and which subjects build on which."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubjectSpec:
    """One subject of the demo syllabus."""

    code: str
    name: str
    category: str
    level: str
    hours: int
    modules: tuple[str, ...]
    requires: tuple[str, ...] = ()


def _s(code: str, name: str, category: str, level: str, hours: int, modules: str,
       requires: tuple[str, ...] = ()) -> SubjectSpec:
    return SubjectSpec(code, name, category, level, hours,
                       tuple(m.strip() for m in modules.split(";")), requires)


SUBJECTS: tuple[SubjectSpec, ...] = (
    _s("PY101", "Python Programming", "Programming", "beginner", 60,
       "Variables and types; Control flow; Functions; Lists and tuples; Dictionaries and sets; "
       "Strings; Files; Exceptions; Modules and packages; Classes; Iterators and generators"),
    _s("PY201", "Advanced Python", "Programming", "advanced", 48,
       "Decorators; Context managers; Type hints; Async IO; Testing with pytest; Packaging; "
       "Performance profiling; Concurrency", ("PY101",)),
    _s("JV101", "Core Java", "Programming", "beginner", 72,
       "JVM and JDK; Syntax and types; OOP basics; Inheritance; Interfaces; Collections; "
       "Exceptions; Generics; Streams; File IO"),
    _s("JV201", "Advanced Java and Spring", "Programming", "advanced", 80,
       "JDBC; Servlets; Spring Core; Spring Boot; REST controllers; JPA and Hibernate; "
       "Security; Microservices", ("JV101",)),
    _s("WD101", "Web Development Fundamentals", "Web", "beginner", 60,
       "HTML structure; Forms; CSS selectors; Flexbox; Grid; Responsive design; "
       "JavaScript basics; DOM; Events; Fetch API"),
    _s("WD201", "React Front-End", "Web", "intermediate", 54,
       "JSX; Components; Props and state; Hooks; Routing; Forms; State management; "
       "Testing components", ("WD101",)),
    _s("WD202", "Node.js and Express", "Web", "intermediate", 50,
       "Node runtime; npm; Express routing; Middleware; REST APIs; MongoDB; Authentication; "
       "Deployment", ("WD101",)),
    _s("DS101", "Data Science with Python", "Data", "intermediate", 80,
       "NumPy; Pandas basics; Data cleaning; Visualisation; Statistics; Probability; "
       "Regression; Classification; Clustering; Model evaluation", ("PY101",)),
    _s("DS201", "Machine Learning", "Data", "advanced", 72,
       "Feature engineering; Decision trees; Ensembles; SVM; Neural networks; "
       "Hyperparameter tuning; Pipelines; Deployment", ("DS101",)),
    _s("DA101", "Data Analytics with Excel and Power BI", "Data", "beginner", 40,
       "Excel formulas; Pivot tables; Charts; Power Query; Data model; DAX; Dashboards"),
    _s("SQL101", "SQL and Databases", "Data", "beginner", 40,
       "Relational model; SELECT; Joins; Grouping; Subqueries; Indexes; Transactions; "
       "Normalisation"),
    _s("TL101", "Tally Prime with GST", "Accounting", "beginner", 45,
       "Company creation; Ledgers; Vouchers; Inventory; GST setup; GST returns; Payroll; "
       "Reports"),
    _s("MS101", "MS Office Essentials", "Office", "beginner", 36,
       "Windows basics; Word documents; Word formatting; Excel basics; Excel formulas; "
       "PowerPoint; Outlook"),
    _s("MS201", "Advanced Excel", "Office", "intermediate", 30,
       "Lookup functions; Conditional formatting; Data validation; Macros; VBA basics; "
       "What-if analysis", ("MS101",)),
    _s("C101", "C Programming", "Programming", "beginner", 50,
       "Syntax; Operators; Control flow; Functions; Arrays; Pointers; Structures; "
       "Memory management; File handling"),
    _s("CPP101", "C++ Programming", "Programming", "intermediate", 54,
       "Classes; Constructors; Operator overloading; Inheritance; Polymorphism; Templates; "
       "STL; Exceptions", ("C101",)),
    _s("NW101", "Computer Networking (CCNA)", "Infrastructure", "intermediate", 60,
       "OSI model; IP addressing; Subnetting; Switching; VLANs; Routing; OSPF; ACLs; NAT"),
    _s("CL101", "Cloud Computing with AWS", "Infrastructure", "intermediate", 56,
       "Cloud concepts; EC2; S3; IAM; VPC; RDS; Lambda; CloudFormation", ("NW101",)),
    _s("DV101", "DevOps Essentials", "Infrastructure", "advanced", 50,
       "Linux shell; Git; CI pipelines; Docker; Kubernetes; Terraform; Monitoring",
       ("CL101",)),
    _s("LX101", "Linux Administration", "Infrastructure", "beginner", 40,
       "File system; Permissions; Processes; Package management; Shell scripting; Services; "
       "Networking tools"),
    _s("CS101", "Cyber Security Basics", "Infrastructure", "intermediate", 45,
       "Threat landscape; Cryptography; Network security; Web vulnerabilities; "
       "Penetration testing; Incident response", ("NW101",)),
    _s("AN101", "Android App Development", "Mobile", "intermediate", 60,
       "Kotlin basics; Activities; Layouts; RecyclerView; Navigation; Room database; "
       "Networking; Publishing", ("JV101",)),
    _s("GD101", "Graphic Design", "Design", "beginner", 48,
       "Design principles; Photoshop; Illustrator; Typography; Colour theory; Logo design; "
       "Print layout"),
    _s("DM101", "Digital Marketing", "Marketing", "beginner", 40,
       "SEO; Content marketing; Social media; Google Ads; Email marketing; Analytics"),
    _s("ST101", "Software Testing", "Programming", "intermediate", 40,
       "Testing principles; Test cases; Manual testing; Selenium; API testing; "
       "Performance testing", ("PY101",)),
)

# How many students choose a subject (2 for the rest); faculty are hired to match.
POPULARITY = {"PY101": 10, "WD101": 8, "MS101": 8, "TL101": 7, "DS101": 6, "JV101": 6,
              "DA101": 5, "C101": 5, "SQL101": 4, "GD101": 4, "DM101": 4}

# How the modules of a subject turn into 15-30 topics: an introduction, each module, and for
# some modules a hands-on lab and a mini project, then a revision topic.
TOPIC_SUFFIXES = ("hands-on lab", "practice exercises", "mini project")

FEEDBACK_COMMENTS = {
    "positive": ("Explains concepts very clearly.", "Great hands-on examples.",
                 "Sessions are well paced.", "Very helpful with doubts.",
                 "बहुत अच्छा पढ़ाते हैं।"),
    "neutral": ("Good, but could use more practice time.", "Lab machines are sometimes slow.",
                "Okay overall."),
    "negative": ("Sessions start late.", "Too fast for beginners.",
                 "Need more practical examples."),
}
